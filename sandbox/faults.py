"""Injected faults: the next N matching requests get latency, an error or a dropped connection."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass


@dataclass
class Fault:
    method: str | None
    path: re.Pattern[str] | None
    status: int | None
    latency_ms: int
    drop: bool
    remaining: int
    # After the endpoint has run: the change is made (and its answer kept for idempotent
    # replays), then the answer is late, lost or replaced. The outcome the client cannot see.
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path is None or self.path.search(path) is not None


class Faults:
    """A thread-safe queue of faults; each matching request consumes one use of the first match."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [
                {
                    "method": f.method,
                    "path": f.path.pattern if f.path else None,
                    "status": f.status,
                    "latency_ms": f.latency_ms,
                    "drop": f.drop,
                    "after": f.after,
                    "count": f.remaining,
                }
                for f in self._faults
            ]
