"""Where a request finds the sandbox's state: the in-memory controls and its SQLite store."""

from __future__ import annotations

import queue
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g

from .clock import Clock
from .faults import Faults
from .ratelimit import RateLimiter
from .requestlog import RequestLog
from .storage import Store, connect


class Credentials:
    """What authentication looks up on every request, kept in memory: known API keys by
    digest (never unknown ones), the token-signing secret, and recently verified tokens'
    claims. Keys and the secret change only when the sandbox is seeded, which clears this."""

    MAX_TOKENS = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.keys: dict[str, Any] = {}  # only keys the store holds: bounded by the fixture
        self.secret: str | None = None
        self._claims: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def claims(self, token: str) -> dict[str, Any] | None:
        with self._lock:
            return self._claims.get(token)

    def remember(self, token: str, claims: dict[str, Any]) -> None:
        with self._lock:
            self._claims[token] = claims
            while len(self._claims) > self.MAX_TOKENS:
                self._claims.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self.keys = {}
            self.secret = None
            self._claims.clear()


@dataclass
class SandboxState:
    clock: Clock = field(default_factory=Clock)
    faults: Faults = field(default_factory=Faults)
    requests: RequestLog = field(default_factory=RequestLog)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)
    credentials: Credentials = field(default_factory=Credentials)

    def reset(self) -> None:
        self.clock.reset()
        self.faults.clear()
        self.requests.clear()
        self.rate_limiter.clear()
        self.credentials.clear()


def sandbox_state() -> SandboxState:
    return current_app.extensions["spotzee_sandbox"]


def store() -> Store:
    """The request's Store, on a connection borrowed from the app's pool: the development
    server runs each request on a new thread, and opening SQLite each time would cost more
    than the request itself."""
    if "store" not in g:
        pool: queue.SimpleQueue[sqlite3.Connection] = current_app.extensions["sandbox_pool"]
        try:
            conn = pool.get_nowait()
        except queue.Empty:
            conn = connect(current_app.config["DATABASE"])
        g.store = Store(conn)
    return g.store


def release_store(_error: BaseException | None = None) -> None:
    """End of request: roll back anything left open and give the connection back."""
    used = g.pop("store", None)
    if used is not None:
        if used.conn.in_transaction:
            used.conn.rollback()
        current_app.extensions["sandbox_pool"].put(used.conn)
