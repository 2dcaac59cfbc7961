"""Sign-in sessions that end on the server: signing out, signing out everywhere, and the idle
and absolute limits.

The session cookie is Flask's signed cookie. It carries a random session id, the
customer's session generation at sign-in, when the session began and when it was last
used. The server keeps what a cookie cannot take back: the ids of sessions signed out
(until they would have expired anyway) and each customer's generation, which "sign out
everywhere" moves on. Every request checks its cookie against both, so a cookie copied
before signing out is worthless after it. That state lives in Redis when REDIS_URL is set
(every process and host sees it), else in the app's SQLite database (every process on
this host).
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Protocol

from flask import Flask, Response, current_app, request, session
from flask_login import logout_user

from .database import Database

# A session is written back when it was last marked as used longer ago than this, so an
# active customer's cookie is not rewritten on every click.
SEEN_RESOLUTION_SECONDS = 60


class SessionStore(Protocol):
    """What the server remembers about sessions, shared by every process of the app."""

    def is_current(self, customer_id: str, sid: str, generation: int) -> bool:
        """Not signed out, and not older than the customer's last "sign out everywhere"."""

    def generation(self, customer_id: str) -> int: ...

    def sign_out(self, sid: str, seconds: float) -> None:
        """End one session; it need only be remembered until it would have expired."""

    def sign_out_everywhere(self, customer_id: str) -> None: ...


class SqliteSessions:
    """The session state in the app's SQLite database (one host, any number of processes)."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS signed_out_sessions (
        sid TEXT PRIMARY KEY, expires_at REAL NOT NULL);
    CREATE TABLE IF NOT EXISTS session_generations (
        customer_id TEXT PRIMARY KEY, generation INTEGER NOT NULL);
    """

    def __init__(self, database: Database) -> None:
        self._conn = database.connection
        with self._conn() as conn:
            conn.executescript(self.SCHEMA)

    def is_current(self, customer_id: str, sid: str, generation: int) -> bool:
        row = (
            self._conn()
            .execute(
                "SELECT (SELECT 1 FROM signed_out_sessions WHERE sid = ?),"
                " (SELECT generation FROM session_generations WHERE customer_id = ?)",
                (sid, customer_id),
            )
            .fetchone()
        )
        return row[0] is None and (row[1] or 0) == generation

    def generation(self, customer_id: str) -> int:
        row = (
            self._conn()
            .execute(
                "SELECT generation FROM session_generations WHERE customer_id = ?",
                (customer_id,),
            )
            .fetchone()
        )
        return row[0] if row else 0

    def sign_out(self, sid: str, seconds: float) -> None:
        now = time.time()
        with self._conn() as conn:
            conn.execute("DELETE FROM signed_out_sessions WHERE expires_at < ?", (now,))
            conn.execute(
                "INSERT OR REPLACE INTO signed_out_sessions (sid, expires_at) VALUES (?, ?)",
                (sid, now + seconds),
            )

    def sign_out_everywhere(self, customer_id: str) -> None:
        with self._conn() as conn:
            conn.execute(
                "INSERT INTO session_generations (customer_id, generation) VALUES (?, 1)"
                " ON CONFLICT (customer_id) DO UPDATE SET generation = generation + 1",
                (customer_id,),
            )


class RedisSessions:
    """The session state in Redis, shared by every process on every host."""

    def __init__(self, redis: Any, prefix: str = "prefs:session:") -> None:
        self.redis = redis
        self.prefix = prefix

    def is_current(self, customer_id: str, sid: str, generation: int) -> bool:
        signed_out, current = self.redis.mget(
            f"{self.prefix}out:{sid}", f"{self.prefix}generation:{customer_id}"
        )
        return signed_out is None and int(current or 0) == generation

    def generation(self, customer_id: str) -> int:
        return int(self.redis.get(f"{self.prefix}generation:{customer_id}") or 0)

    def sign_out(self, sid: str, seconds: float) -> None:
        self.redis.set(f"{self.prefix}out:{sid}", 1, ex=max(1, int(seconds) + 1))

    def sign_out_everywhere(self, customer_id: str) -> None:
        self.redis.incr(f"{self.prefix}generation:{customer_id}")


def store() -> SessionStore:
    return current_app.extensions["sessions"]


def begin(customer_id: str) -> None:
    """Mark a freshly signed-in session (after Flask-Login's login_user)."""
    now = time.time()
    session["sid"] = secrets.token_urlsafe(18)
    session["generation"] = store().generation(customer_id)
    session["signed_in_at"] = session["seen_at"] = now


def end() -> None:
    """Sign this session out, for good: a copy of its cookie is refused from now on."""
    if "sid" in session:
        max_seconds = current_app.config["SESSION_MAX_HOURS"] * 3600
        store().sign_out(session["sid"], max_seconds)
    logout_user()
    session.clear()


def still_valid(now: float) -> bool:
    config = current_app.config
    signed_in_at = session.get("signed_in_at")
    seen_at = session.get("seen_at")
    if not isinstance(signed_in_at, int | float) or not isinstance(seen_at, int | float):
        return False
    if now - signed_in_at > config["SESSION_MAX_HOURS"] * 3600:
        return False
    if now - seen_at > config["SESSION_IDLE_MINUTES"] * 60:
        return False
    generation = session.get("generation")
    return isinstance(generation, int) and store().is_current(
        str(session["_user_id"]), str(session.get("sid")), generation
    )


def init_app(app: Flask, sessions: SessionStore) -> None:
    app.extensions["sessions"] = sessions

    @app.before_request
    def end_stale_sessions() -> None:
        if request.endpoint == "static" or "_user_id" not in session:
            return
        if not still_valid(time.time()):
            logout_user()
            session.clear()

    @app.after_request
    def mark_used(response: Response) -> Response:
        # Only a request that succeeded counts as use: an error page (a cross-site post,
        # a 404) never rewrites the customer's cookie.
        seen_at = session.get("seen_at")
        if (
            response.status_code < 400
            and isinstance(seen_at, int | float)
            and time.time() - seen_at > SEEN_RESOLUTION_SECONDS
        ):
            session["seen_at"] = time.time()
        return response
