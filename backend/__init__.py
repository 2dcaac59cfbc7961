"""The brand's web app: `create_app()` builds it, `python -m backend` serves it on :5000.

`backend/` is the server side that holds the Spotzee secret key; the customer-facing pages
live in the `frontend` blueprint, which never sees that key.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify

from frontend import bp as frontend_bp

from . import (
    assets,
    auth,
    config,
    contact_session,
    customers,
    errors,
    preference_page,
    security,
    timing,
)
from .extensions import csrf, htmx, limiter
from .spotzee import SpotzeeClient

ROOT = Path(__file__).resolve().parent.parent
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def init_logging() -> None:
    """The app's own log lines (`backend.*`, `frontend.*`) at INFO on stderr, whatever serves
    it. gunicorn configures only its own loggers, which left these lines nowhere. Where
    logging is already set up (a handler on the root logger: the brand's dictConfig, pytest),
    basicConfig adds nothing and the lines go to what is there."""
    logging.basicConfig(format=LOG_FORMAT)
    for name in ("backend", "frontend"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:  # a level set by the brand stays
            logger.setLevel(logging.INFO)


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
        # The CSRF token lives as long as the sign-in session: a tab left open for hours
        # must not lose its next click to an expired CSRF token.
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_HEADERS_ENABLED=False,
    )
    if test_config is not None:
        app.config.update(test_config)
    init_logging()

    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    htmx.init_app(app)
    timing.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    customers.init_app(app)
    errors.init_app(app)

    # The one Spotzee client holding the secret key, and what the rest of the app may use.
    app.extensions["spotzee"] = SpotzeeClient(
        app.config["SPOTZEE_API_BASE"],
        app.config["SPOTZEE_SECRET_KEY"],
        connect_timeout=app.config["SPOTZEE_CONNECT_TIMEOUT"],
        read_timeout=app.config["SPOTZEE_READ_TIMEOUT"],
    )
    app.extensions["subscription_types"] = preference_page.SubscriptionTypeCache(
        app.config["SUBSCRIPTION_TYPES_CACHE_SECONDS"]
    )
    # The frontend gets a way to mint a token for the signed-in customer, never the key.
    app.extensions["mint_contact_session"] = contact_session.mint_for_signed_in_customer

    app.register_blueprint(auth.bp)
    app.register_blueprint(contact_session.bp)
    app.register_blueprint(preference_page.bp)
    app.register_blueprint(frontend_bp)

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness for load balancers and the demo launcher."""
        return jsonify(status="ok")

    return app
