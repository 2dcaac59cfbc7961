"""The log of every request to /api/client, readable through /_sandbox/requests.

It holds method, path, status, idempotency key and time: never an API key or a token.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

MAX_ENTRIES = 10_000


class RequestLog:
    def __init__(self) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
