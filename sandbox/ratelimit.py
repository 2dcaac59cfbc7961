"""Per-key rate limits, version A of section 5.4: separate read and write buckets, a 10-second
sliding window on the sandbox clock, and X-RateLimit-* headers. Off unless configured.
"""

from __future__ import annotations

import json
import math
import threading
from collections import defaultdict, deque

from .errors import ApiError

WINDOW_SECONDS = 10
# Plan tiers: requests per second for reads and writes, and the burst factor over the window.
TIERS = {
    "starter": (200, 100, 1.5),
    "professional": (1000, 500, 1.5),
    "enterprise": (5000, 2500, 2.0),
}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class RateLimiter:
    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def check(
        self, key_sha256: str, settings: str | None, method: str, now: float
    ) -> dict[str, str]:
        """Count this request; return the X-RateLimit-* headers or raise 429 rate_limited."""
        custom = json.loads(settings) if settings else {}
        tier = custom.get("tier", "starter")
        read, write, burst = TIERS.get(tier, TIERS["starter"])
        bucket = "read" if method in READ_METHODS else "write"
        per_second = custom.get(bucket) or (read if bucket == "read" else write)
        limit = max(1, int(per_second * WINDOW_SECONDS * burst))
        with self._lock:
            hits = self._hits[(key_sha256, bucket)]
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            reset = math.ceil(hits[0] + WINDOW_SECONDS - now) if hits else WINDOW_SECONDS
            if len(hits) >= limit:
                raise ApiError(
                    "rate_limited",
                    "Rate limit exceeded. Slow down and retry after the period in `Retry-After`.",
                    headers={"Retry-After": str(max(1, reset))},
                )
            hits.append(now)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - len(hits)),
            "X-RateLimit-Reset": str(max(1, reset)),
            "X-RateLimit-Tier": tier,
        }
