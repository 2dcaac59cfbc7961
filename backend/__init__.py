"""The brand's web app: `create_app()` builds it, `python -m backend` serves it on :5000.

`backend/` is the server side that holds the Spotzee secret key; the customer-facing pages
live in the `frontend` blueprint, which never sees that key.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify
from flask_htmx import HTMX

from . import assets, config, security

ROOT = Path(__file__).resolve().parent.parent
htmx = HTMX()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    if test_config is not None:
        app.config.update(test_config)
    logging.getLogger("backend").setLevel(logging.INFO)

    htmx.init_app(app)
    security.init_app(app)
    assets.init_app(app)

    from frontend import bp as frontend_bp

    app.register_blueprint(frontend_bp)

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness for load balancers and the demo launcher."""
        return jsonify(status="ok")

    return app
