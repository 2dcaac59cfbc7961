"""`Server-Timing` on every response: the time the web app spent on it, and how much of
that it spent waiting on Spotzee in this request's own thread (`spotzee;dur`).

Browsers show it in their developer tools; the benchmarks read it to separate server time
from the client's own overhead.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g, has_request_context


def spotzee_answered(elapsed_ms: float) -> None:
    """Told by the Spotzee transport after each call (see `spotzee.Transport.on_answer`)."""
    if has_request_context():
        g.spotzee_ms = g.get("spotzee_ms", 0.0) + elapsed_ms


def init_app(app: Flask) -> None:
    @app.before_request
    def start_clock() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def stop_clock(response: Response) -> Response:
        started = g.get("started")
        if started is not None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            timing = f"app;dur={elapsed_ms:.1f}"
            if g.get("spotzee_ms") is not None:
                timing += f", spotzee;dur={g.spotzee_ms:.1f}"
            response.headers["Server-Timing"] = timing
        return response
