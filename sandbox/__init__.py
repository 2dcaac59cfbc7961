"""A stateful local stand-in for the Spotzee API, faithful to the documented contract.

`create_app()` builds it; `python -m sandbox` serves it on 127.0.0.1:8025 (env SANDBOX_PORT).
"""

from __future__ import annotations

import os
import queue
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify

from . import api, controls, pipeline, storage
from .fixture import demo_fixture
from .openapi import document
from .state import SandboxState, release_store

MAX_BODY_BYTES = 1024 * 1024


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance = Path(__file__).resolve().parent.parent / "instance"
    app = Flask(__name__, instance_path=str(instance), static_folder=None)
    app.config.from_mapping(
        DATABASE=os.environ.get("SANDBOX_DATABASE")
        or os.path.join(app.instance_path, "sandbox.sqlite3"),
        CONTROLS=os.environ.get("SANDBOX_CONTROLS") == "1",
        # Host names the test controls answer to besides localhost, 127.0.0.1 and [::1].
        CONTROL_HOSTS=frozenset({os.environ.get("SANDBOX_HOST", "").strip("[]").lower()} - {""}),
        RATE_LIMITS=os.environ.get("SANDBOX_RATE_LIMITS") == "1",
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    if test_config is not None:
        app.config.update(test_config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = True  # type: ignore[attr-defined]

    state = SandboxState()
    app.extensions["spotzee_sandbox"] = state
    app.extensions["sandbox_pool"] = queue.SimpleQueue()
    if storage.initialise(app.config["DATABASE"]):
        conn = storage.connect(app.config["DATABASE"])
        try:
            storage.Store(conn).replace_all(demo_fixture(), state.clock.now())
        finally:
            conn.close()

    pipeline.install(app)
    app.register_blueprint(api.bp)
    if app.config["CONTROLS"]:
        app.register_blueprint(controls.bp)
    app.teardown_appcontext(release_store)

    @app.get("/api/openapi.json")
    def openapi() -> Response:
        """The OpenAPI 3.1 description of everything the sandbox serves under /api/client."""
        return jsonify(document())

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app
