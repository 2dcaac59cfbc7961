"""`Server-Timing: app;dur=<ms>` on every response: the time the web app spent on it.

Browsers show it in their developer tools; the benchmarks read it to separate server time
from the client's own overhead.
"""

from __future__ import annotations

import time

from flask import Flask, Response, g


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
            if g.get("upstream_ms") is not None:
                timing += f", spotzee;dur={g.upstream_ms:.1f}"
            response.headers["Server-Timing"] = timing
        return response
