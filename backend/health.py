"""`/healthz` (this process answers) and `/readyz` (what it depends on answers too), for load
balancers, orchestrators and the demo launcher."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify

from spotzee import Transport


def init_app(app: Flask, transport: Transport, redis: Any) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness: the process is up and serving."""
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        """Readiness: Redis answers (when configured) and Spotzee's address accepts a
        connection within a second. 503, naming what failed, when either does not."""
        checks = {"spotzee": transport.reachable(timeout=1.0)}
        if redis is not None:
            checks["redis"] = ping(redis)
        ready = all(checks.values())
        body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
        return jsonify(status="ok" if ready else "unavailable", **body), 200 if ready else 503


def ping(redis: Any) -> bool:
    try:
        return bool(redis.ping())
    except Exception:
        return False
