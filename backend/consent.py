"""The consent record: one line for every subscription state Spotzee confirmed changing,
from every path (the page with or without JavaScript, a preference link, one-click, undo).

Each line says when (UTC), whose (the contact's external_id), which type (id and name), from
what to what, how (the source), Spotzee's request id, a keyed hash of the client's address
(never the address) and its user agent. A change Spotzee did not confirm records nothing.
The table is append-only: SQLite triggers refuse every UPDATE and DELETE. The customer
sees their last ten changes on the page; the brand exports it all with
`flask --app backend consent export`.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

import click
from flask import Flask, current_app, request
from flask.cli import AppGroup

from frontend import Change, RecordedChange
from spotzee import SubscriptionState

from .database import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS consent_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    external_id TEXT NOT NULL,
    subscription_id INTEGER NOT NULL,
    subscription_name TEXT NOT NULL,
    old_state INTEGER NOT NULL,
    new_state INTEGER NOT NULL,
    source TEXT NOT NULL,
    request_id TEXT,
    client_hash TEXT NOT NULL,
    user_agent TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consent_by_contact ON consent_records (external_id, id);
CREATE TRIGGER IF NOT EXISTS consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'the consent record is append-only'); END;
CREATE TRIGGER IF NOT EXISTS consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN SELECT RAISE(ABORT, 'the consent record is append-only'); END;
"""
COLUMNS = (
    "at",
    "external_id",
    "subscription_id",
    "subscription_name",
    "old_state",
    "new_state",
    "source",
    "request_id",
    "client_hash",
    "user_agent",
)


class ConsentRecord:
    """The append-only record in the app's SQLite database."""

    def __init__(self, database: Database, hash_key: str) -> None:
        self._conn = database.connection
        self._hash_key = hash_key.encode()
        with self._conn() as conn:
            conn.executescript(SCHEMA)

    def client_hash(self, address: str) -> str:
        """Who changed it, as far as a brand may keep: a keyed hash, not the address."""
        return hmac.new(self._hash_key, address.encode(), hashlib.sha256).hexdigest()[:32]

    def append(
        self,
        external_id: str,
        changes: Sequence[Change],
        *,
        client: str,
        user_agent: str,
        at: datetime | None = None,
    ) -> None:
        when = (at or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
        client_hash = self.client_hash(client)
        rows = [
            (
                when,
                external_id,
                change.subscription_id,
                change.name,
                int(change.old),
                int(change.new),
                change.source,
                change.request_id,
                client_hash,
                user_agent[:300],
            )
            for change in changes
            if change.old != change.new
        ]
        if rows:
            with self._conn() as conn:
                conn.executemany(
                    f"INSERT INTO consent_records ({', '.join(COLUMNS)})"  # noqa: S608
                    f" VALUES ({', '.join('?' for _ in COLUMNS)})",
                    rows,
                )

    def recent(self, external_id: str, limit: int = 10) -> list[RecordedChange]:
        rows = self._conn().execute(
            "SELECT * FROM consent_records WHERE external_id = ? ORDER BY id DESC LIMIT ?",
            (external_id, limit),
        )
        return [
            RecordedChange(
                row["subscription_id"],
                row["subscription_name"],
                SubscriptionState(row["old_state"]),
                SubscriptionState(row["new_state"]),
                row["source"],
                row["request_id"],
                datetime.fromisoformat(row["at"].replace("Z", "+00:00")),
            )
            for row in rows
        ]

    def rows(self, since: date | None = None) -> Iterator[dict[str, object]]:
        query = f"SELECT {', '.join(COLUMNS)} FROM consent_records"  # noqa: S608
        params: tuple[str, ...] = ()
        if since is not None:
            query += " WHERE at >= ?"
            params = (since.isoformat(),)
        for row in self._conn().execute(query + " ORDER BY id", params):
            yield dict(row)


def record() -> ConsentRecord:
    return current_app.extensions["consent"]


def append_for(external_id: str, changes: Sequence[Change]) -> None:
    """Record changes made in this request, with its client's address and user agent."""
    record().append(
        external_id,
        changes,
        client=request.remote_addr or "-",
        user_agent=request.headers.get("User-Agent", ""),
    )


def init_app(app: Flask) -> None:
    app.extensions["consent"] = ConsentRecord(app.extensions["database"], app.config["SECRET_KEY"])
    app.cli.add_command(cli)


cli = AppGroup("consent", help="The consent record: every change Spotzee confirmed.")


@cli.command("export")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="From this UTC day on.")
@click.option("--format", "form", type=click.Choice(["csv", "json"]), default="csv")
def export_command(since: datetime | None, form: str) -> None:
    """Write the consent record to standard output, oldest first."""
    rows = record().rows(since.date() if since else None)
    if form == "json":
        json.dump(list(rows), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: inert(v) for k, v in row.items()} for row in rows)


# What makes a spreadsheet read a cell as a formula (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a client's User-Agent, say, or a type's name,
    that starts like a formula gets a leading apostrophe. (The JSON export is as stored.)"""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
