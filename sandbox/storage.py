"""SQLite storage for the sandbox: projects, API keys, contacts, subscription types and states,
tracked events and idempotency records. One connection per request; writes in short
IMMEDIATE transactions, so concurrent requests see each other's work whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .clock import iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    value_sha256 TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL CHECK (scope IN ('secret', 'public')),
    role TEXT NOT NULL,
    rate_limit TEXT
);
CREATE TABLE IF NOT EXISTS subscription_types (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    is_public INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    external_id TEXT,
    anonymous_id TEXT,
    email TEXT,
    phone TEXT,
    timezone TEXT,
    locale TEXT,
    data TEXT NOT NULL DEFAULT '{}',
    devices TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, external_id),
    UNIQUE (project_id, anonymous_id)
);
CREATE TABLE IF NOT EXISTS subscription_states (
    contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
    subscription_id INTEGER NOT NULL REFERENCES subscription_types(id) ON DELETE CASCADE,
    state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (contact_id, subscription_id)
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    external_id TEXT,
    anonymous_id TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    content_type TEXT,
    body BLOB,
    request_id TEXT,
    headers TEXT,
    PRIMARY KEY (scope, key)
);
"""

# The sandbox is one process: its writers queue on this lock rather than on SQLite's busy
# handler, which backs off in sleeps of up to 100 ms and made the tail latency under load.
WRITES = threading.RLock()

TABLES = (
    "idempotency",
    "events",
    "subscription_states",
    "contacts",
    "subscription_types",
    "api_keys",
    "projects",
)


def key_digest(value: str) -> str:
    """API keys are stored and compared as sha256 digests, never as their values."""
    return hashlib.sha256(value.encode()).hexdigest()


def connect(path: str) -> sqlite3.Connection:
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    # With WAL, NORMAL syncs at checkpoints rather than at every commit: a power cut may
    # lose the last moments of a sandbox's state, and every write costs no disk flush.
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def initialise(path: str) -> bool:
    """Create the schema; return True when the database holds no project yet."""
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        columns = {row["name"] for row in conn.execute("PRAGMA table_info(idempotency)")}
        if columns and "path" not in columns:
            # Kept answers from before keys were bound to their method and path: they are
            # replay records with a 24-hour life, so they are dropped, not migrated.
            conn.execute("DROP TABLE idempotency")
        conn.executescript(SCHEMA)
        # Users saved by anonymous_id alone before it stood in as their external_id.
        conn.execute(
            "UPDATE OR IGNORE contacts SET external_id = anonymous_id WHERE external_id IS NULL"
        )
        return conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 0
    finally:
        conn.close()


class Store:
    """Queries and writes over one connection. Callers wrap writes in `transaction()`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with WRITES:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- fixtures ---------------------------------------------------------------------

    def replace_all(self, fixture: dict[str, Any], now: float) -> None:
        """Replace every row with the (already validated) fixture, in one transaction."""
        stamp = iso(now)
        with self.transaction():
            for table in TABLES:
                self.conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            self.conn.execute("DELETE FROM sqlite_sequence")
            # A new world gets a new token-signing secret, so tokens minted before die.
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('token_secret', ?)",
                (secrets.token_urlsafe(32),),
            )
            for project in fixture["projects"]:
                self._insert_project(project, stamp)

    def _insert_project(self, project: dict[str, Any], stamp: str) -> None:
        pid = project["id"]
        self.conn.execute("INSERT INTO projects (id, name) VALUES (?, ?)", (pid, project["name"]))
        for key in project.get("keys", []):
            self.conn.execute(
                "INSERT INTO api_keys (project_id, value_sha256, scope, role, rate_limit)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    pid,
                    key_digest(key["value"]),
                    key["scope"],
                    key.get("role", "support"),
                    json.dumps(key["rate_limit"]) if key.get("rate_limit") else None,
                ),
            )
        for sub in project.get("subscriptions", []):
            self.conn.execute(
                "INSERT INTO subscription_types"
                " (id, project_id, name, channel, is_public, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    sub.get("id"),
                    pid,
                    sub["name"],
                    sub["channel"],
                    int(sub.get("is_public", False)),
                    sub.get("created_at", stamp),
                    sub.get("updated_at", sub.get("created_at", stamp)),
                ),
            )
        for contact in project.get("contacts", []):
            cursor = self.conn.execute(
                "INSERT INTO contacts (id, project_id, external_id, anonymous_id, email, phone,"
                " timezone, locale, data, devices, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    contact.get("id"),
                    pid,
                    contact.get("external_id"),
                    contact.get("anonymous_id"),
                    contact.get("email"),
                    contact.get("phone"),
                    contact.get("timezone"),
                    contact.get("locale"),
                    json.dumps(contact.get("data") or {}),
                    json.dumps(contact.get("devices") or []),
                    contact.get("created_at", stamp),
                    contact.get("updated_at", contact.get("created_at", stamp)),
                ),
            )
            for sub_id, state in (contact.get("states") or {}).items():
                self.conn.execute(
                    "INSERT INTO subscription_states (contact_id, subscription_id, state,"
                    " updated_at) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, int(sub_id), state, stamp),
                )

    def token_secret(self) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'token_secret'").fetchone()
        return row["value"]

    # -- keys -------------------------------------------------------------------------

    def api_key(self, value: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM api_keys WHERE value_sha256 = ?", (key_digest(value),)
        ).fetchone()

    # -- contacts ---------------------------------------------------------------------

    def contact_by_id(self, project_id: int, contact_id: int) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM contacts WHERE project_id = ? AND id = ?", (project_id, contact_id)
        ).fetchone()

    def contact_by_external_id(self, project_id: int, external_id: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM contacts WHERE project_id = ? AND external_id = ?",
            (project_id, external_id),
        ).fetchone()

    def contact_by_anonymous_id(self, project_id: int, anonymous_id: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM contacts WHERE project_id = ? AND anonymous_id = ?",
            (project_id, anonymous_id),
        ).fetchone()

    def insert_contact(self, project_id: int, fields: dict[str, Any], stamp: str) -> int:
        cursor = self.conn.execute(
            "INSERT INTO contacts (project_id, external_id, anonymous_id, email, phone, timezone,"
            " locale, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project_id,
                fields.get("external_id"),
                fields.get("anonymous_id"),
                fields.get("email"),
                fields.get("phone"),
                fields.get("timezone"),
                fields.get("locale"),
                json.dumps(fields.get("data") or {}),
                stamp,
                stamp,
            ),
        )
        return int(cursor.lastrowid or 0)

    def update_contact(self, contact_id: int, fields: dict[str, Any], stamp: str) -> None:
        columns = [
            c
            for c in ("external_id", "anonymous_id", "email", "phone", "timezone", "locale", "data")
            if c in fields
        ]
        values = [json.dumps(fields[c] or {}) if c == "data" else fields[c] for c in columns]
        assignments = ", ".join(f"{c} = ?" for c in [*columns, "updated_at"])
        self.conn.execute(
            f"UPDATE contacts SET {assignments} WHERE id = ?",  # noqa: S608 - fixed columns
            (*values, stamp, contact_id),
        )

    def delete_contact(self, contact_id: int) -> None:
        self.conn.execute("DELETE FROM contacts WHERE id = ?", (contact_id,))

    # -- subscription types and states ------------------------------------------------

    def subscription_types(self, project_id: int) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT * FROM subscription_types WHERE project_id = ? ORDER BY id", (project_id,)
        ).fetchall()

    def subscription_type(self, project_id: int, subscription_id: int) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM subscription_types WHERE project_id = ? AND id = ?",
            (project_id, subscription_id),
        ).fetchone()

    def insert_subscription_type(
        self, project_id: int, name: str, channel: str, is_public: bool, stamp: str
    ) -> int:
        cursor = self.conn.execute(
            "INSERT INTO subscription_types (project_id, name, channel, is_public, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (project_id, name, channel, int(is_public), stamp, stamp),
        )
        return int(cursor.lastrowid or 0)

    def update_subscription_type(
        self, subscription_id: int, name: str, is_public: bool, stamp: str
    ) -> None:
        self.conn.execute(
            "UPDATE subscription_types SET name = ?, is_public = ?, updated_at = ? WHERE id = ?",
            (name, int(is_public), stamp, subscription_id),
        )

    def states(self, contact_id: int) -> dict[int, int]:
        rows = self.conn.execute(
            "SELECT subscription_id, state FROM subscription_states WHERE contact_id = ?",
            (contact_id,),
        )
        return {row["subscription_id"]: row["state"] for row in rows}

    def set_state(self, contact_id: int, subscription_id: int, state: int, stamp: str) -> None:
        """Set one state; re-sending the current state changes nothing, not even its time."""
        self.conn.execute(
            "INSERT INTO subscription_states (contact_id, subscription_id, state, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (contact_id, subscription_id) DO UPDATE"
            " SET state = excluded.state, updated_at = excluded.updated_at"
            " WHERE subscription_states.state != excluded.state",
            (contact_id, subscription_id, state, stamp),
        )

    # -- events -----------------------------------------------------------------------

    def insert_event(self, project_id: int, event: dict[str, Any], stamp: str) -> None:
        self.conn.execute(
            "INSERT INTO events (project_id, name, external_id, anonymous_id, data, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                project_id,
                event["name"],
                event.get("external_id"),
                event.get("anonymous_id"),
                json.dumps(event.get("data") or {}),
                event.get("created_at") or stamp,
            ),
        )
