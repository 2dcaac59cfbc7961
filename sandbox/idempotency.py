"""Idempotency-Key handling for POST and PATCH, as section 5.3 of the contract describes.

A key is claimed with a single INSERT (the table's primary key makes the claim atomic across
threads), so two identical requests at the same moment run once: the second sees the claim
and gets 409 idempotency_in_progress. When the first finishes, 2xx and 4xx answers are kept
for 24 hours (sandbox clock) and replayed; 5xx and 429 answers release the claim. A key
belongs to the method, path and body it was first sent with: any other is a mismatch.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

from .errors import ApiError
from .storage import WRITES

TTL_SECONDS = 24 * 60 * 60
# A claim whose request never finished (the process died) is abandoned after this long.
ABANDONED_AFTER_SECONDS = 120


@dataclass
class Stored:
    status: int
    content_type: str
    body: bytes
    request_id: str
    headers: dict[str, str]


def validate_key(key: str) -> None:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise ApiError(
            "idempotency_key_invalid",
            "Idempotency-Key must be between 1 and 255 printable characters.",
            param="Idempotency-Key",
        )


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Sent:
    """What a key is bound to: the request first sent with it."""

    method: str
    path: str
    body_sha256: str


def claim(conn: sqlite3.Connection, scope: str, key: str, sent: Sent, now: float) -> Stored | None:
    """Claim `key` for this request, or return the stored answer to replay.

    Raises 409 idempotency_key_mismatch for another method, path or body, and 409
    idempotency_in_progress while the first request still runs.
    """
    with WRITES:
        return _claim(conn, scope, key, sent, now)


def _claim(conn: sqlite3.Connection, scope: str, key: str, sent: Sent, now: float) -> Stored | None:
    for _ in range(3):
        inserted = conn.execute(
            "INSERT OR IGNORE INTO idempotency (scope, key, method, path, body_sha256, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (scope, key, sent.method, sent.path, sent.body_sha256, now),
        ).rowcount
        if inserted:
            return None
        row = conn.execute(
            "SELECT * FROM idempotency WHERE scope = ? AND key = ?", (scope, key)
        ).fetchone()
        if row is None:
            continue  # released between our INSERT and SELECT: claim again
        expired = now - row["created_at"] >= TTL_SECONDS
        abandoned = not row["finished"] and now - row["created_at"] >= ABANDONED_AFTER_SECONDS
        if expired or abandoned:
            conn.execute(
                "DELETE FROM idempotency WHERE scope = ? AND key = ? AND created_at = ?",
                (scope, key, row["created_at"]),
            )
            continue
        if (row["method"], row["path"]) != (sent.method, sent.path):
            # Running it anew would make a retry sent to the wrong endpoint look like success.
            raise ApiError(
                "idempotency_key_mismatch",
                f"This Idempotency-Key was first used for {row['method']} {row['path']}. "
                "Use a fresh key for distinct requests.",
                param="Idempotency-Key",
            )
        if row["body_sha256"] != sent.body_sha256:
            raise ApiError(
                "idempotency_key_mismatch",
                "The Idempotency-Key was reused with a different request body. "
                "Use a fresh key for distinct requests.",
                param="Idempotency-Key",
            )
        if not row["finished"]:
            raise ApiError(
                "idempotency_in_progress",
                "A request with this Idempotency-Key is still being processed. "
                "Retry after the period in `Retry-After`.",
                param="Idempotency-Key",
                headers={"Retry-After": "1"},
            )
        return Stored(
            status=row["status"],
            content_type=row["content_type"] or "",
            body=row["body"] or b"",
            request_id=row["request_id"],
            headers=json.loads(row["headers"] or "{}"),
        )
    raise ApiError(
        "idempotency_in_progress",
        "The Idempotency-Key is contended. Retry after the period in `Retry-After`.",
        param="Idempotency-Key",
        headers={"Retry-After": "1"},
    )


def keeps(status: int) -> bool:
    """2xx and 4xx answers are kept for replay; 5xx and 429 are not (a retry may succeed)."""
    return 200 <= status < 300 or (400 <= status < 500 and status != 429)


def finish(conn: sqlite3.Connection, scope: str, key: str, answer: Stored | None) -> None:
    """Store the answer for replay, or release the claim when there is nothing to keep."""
    with WRITES:
        _finish(conn, scope, key, answer)


def _finish(conn: sqlite3.Connection, scope: str, key: str, answer: Stored | None) -> None:
    if answer is None or not keeps(answer.status):
        conn.execute("DELETE FROM idempotency WHERE scope = ? AND key = ?", (scope, key))
        return
    conn.execute(
        "UPDATE idempotency SET finished = 1, status = ?, content_type = ?, body = ?,"
        " request_id = ?, headers = ? WHERE scope = ? AND key = ?",
        (
            answer.status,
            answer.content_type,
            answer.body,
            answer.request_id,
            json.dumps(answer.headers),
            scope,
            key,
        ),
    )
