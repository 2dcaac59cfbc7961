"""Where a request finds the sandbox's state: the in-memory controls and its SQLite store."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, g

from .clock import Clock
from .faults import Faults
from .ratelimit import RateLimiter
from .requestlog import RequestLog
from .storage import Store, connect


@dataclass
class SandboxState:
    clock: Clock = field(default_factory=Clock)
    faults: Faults = field(default_factory=Faults)
    requests: RequestLog = field(default_factory=RequestLog)
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)

    def reset(self) -> None:
        self.clock.reset()
        self.faults.clear()
        self.requests.clear()
        self.rate_limiter.clear()


def sandbox_state() -> SandboxState:
    return current_app.extensions["spotzee_sandbox"]


def store() -> Store:
    """The request's Store, opened on first use and closed when the request ends."""
    if "store" not in g:
        g.store = Store(connect(current_app.config["DATABASE"]))
    return g.store


def close_store(_error: BaseException | None = None) -> None:
    opened = g.pop("store", None)
    if opened is not None:
        opened.conn.close()
