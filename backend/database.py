"""The app's SQLite database: one file for the customers, the session sign-outs (without
Redis) and the consent record, with one connection per thread for all three.

Opening a connection costs several times a query, and every signed-in request reads its
customer and its session, so each thread keeps its connection. SQLite reads see every
committed write, so a kept connection is never stale.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from flask import Flask, current_app


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_ahead_log(self.connection())

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (rows by name or position)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = sqlite3.connect(self.path, timeout=10)
            conn.row_factory = sqlite3.Row
        return conn


def write_ahead_log(conn: sqlite3.Connection, *, seconds: float = 10) -> None:
    """Put the database in write-ahead-log mode: each change is still on disk when its
    commit returns (synchronous stays FULL), for one sync of the log instead of several.
    The switch needs the database to itself, and SQLite answers "locked" at once rather
    than waiting while another process (a second gunicorn worker starting) has it open:
    so ask again for a while."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def init_app(app: Flask) -> Database:
    database = app.extensions["database"] = Database(app.config["DATABASE"])
    return database


def connection() -> sqlite3.Connection:
    """The current app's database: this thread's connection."""
    return current_app.extensions["database"].connection()
