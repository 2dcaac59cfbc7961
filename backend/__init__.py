"""The brand's web app: `create_app()` assembles it, `python -m backend` serves it on :5000.

`backend/` is the brand's server side: configuration, sign-in, the token endpoint, and the
only code that holds the Spotzee secret key (inside its `SecretClient`). The preference
centre itself is the `frontend` package; it is handed what it may do with that key (mint a
token, read a first render, read the saved states) for whoever the request is for.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

import frontend
from spotzee import ContactClient, SecretClient, Transport

from . import (
    assets,
    auth,
    compression,
    config,
    consent,
    customers,
    database,
    health,
    links,
    one_click,
    security,
    sessions,
    timing,
    tokens,
)
from .extensions import csrf, htmx, limiter
from .first_render import FirstRenders, type_cache
from .identity import Identify

ROOT = Path(__file__).resolve().parent.parent
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
APP_LOGGERS = ("backend", "frontend", "spotzee")


def init_logging() -> None:
    """The app's own log lines at INFO on stderr, whatever serves it. gunicorn configures
    only its own loggers, which left these lines nowhere. Where logging is already set up
    (a handler on the root logger: the brand's dictConfig, pytest), basicConfig adds
    nothing and the lines go to what is there."""
    logging.basicConfig(format=LOG_FORMAT)
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:  # a level set by the brand stays
            logger.setLevel(logging.INFO)


def create_app(
    test_config: dict[str, Any] | None = None, *, identify: Identify | None = None
) -> Flask:
    """The web app. `identify` replaces this repo's sign-in with the brand's own (see
    backend/identity.py); `test_config` overrides the environment's settings."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    settings = config.from_environment(Path(app.instance_path))
    settings.update(test_config or {})
    # The secret key goes into the SecretClient and nowhere else: not into app.config,
    # where any template could render it.
    secret_key = settings.pop("SPOTZEE_SECRET_KEY", None) or config.spotzee_secret_key()
    config.check(settings, secret_key)
    app.config.from_mapping(settings)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=64 * 1024,
        # The CSRF token lives as long as the sign-in session: a tab left open for hours
        # must not lose its next click to an expired CSRF token.
        WTF_CSRF_TIME_LIMIT=None,
        RATELIMIT_HEADERS_ENABLED=False,
    )
    init_logging()
    if app.config["TRUSTED_PROXY_HOPS"]:
        hops = app.config["TRUSTED_PROXY_HOPS"]
        # Only this many proxies' X-Forwarded-For, -Proto and -Host are believed; with 0
        # (the default) they are ignored, so no client can claim another address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.session_interface = security.HttpsAwareSessionInterface()

    redis = shared_redis(app.config["REDIS_URL"])
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    compression.init_app(app)  # first registered, so it runs after every other hook
    htmx.init_app(app)
    timing.init_app(app)
    security.init_app(app)
    assets.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    data = database.init_app(app)
    sessions.init_app(
        app, sessions.RedisSessions(redis) if redis else sessions.SqliteSessions(data)
    )
    if identify is None:
        customers.init_app(app)
        auth.init_app(app)
    else:
        auth.init_brand_sign_in(app, identify)
    links.init_app(app)
    consent.init_app(app)

    # One transport to Spotzee for the whole process; the secret key stays in its client.
    transport = Transport(
        app.config["SPOTZEE_API_BASE"],
        connect_timeout=app.config["SPOTZEE_CONNECT_TIMEOUT"],
        read_timeout=app.config["SPOTZEE_READ_TIMEOUT"],
        on_answer=timing.spotzee_answered,
    )
    server = SecretClient(transport, secret_key)
    app.extensions["spotzee"] = server
    renders = FirstRenders(
        server,
        deadline_seconds=app.config["PAGE_DEADLINE_SECONDS"],
        types=type_cache(redis, app.config["SUBSCRIPTION_TYPES_CACHE_SECONDS"]),
    )

    # What the preference centre may do with the secret key: each for the contact of the
    # request being served (the signed-in customer), never one the browser names, and
    # every mint counted against that customer's limit and noted in the session, so that
    # the relay spends no token but one this browser was given for that contact.
    frontend.init_app(
        app,
        contact_client=ContactClient(
            transport,
            app.config["SPOTZEE_PUBLISHABLE_KEY"],
            reconcile_seconds=app.config["SPOTZEE_RECONCILE_SECONDS"],
        ),
        first_render=lambda: tokens.first_render(renders),
        mint=tokens.mint_for_current_user,
        handed_out=tokens.handed_out,
        saved_states=lambda: renders.saved_states(current_user.external_id),
        record=lambda changes: consent.append_for(current_user.external_id, changes),
        recent_changes=lambda limit: consent.record().recent(current_user.external_id, limit),
        mint_url=tokens.mint_url,
        sign_out=auth.sign_out(app, brand=identify is not None),
    )
    app.register_blueprint(tokens.bp)
    app.register_blueprint(one_click.bp)
    health.init_app(app, transport, redis)
    return app


def shared_redis(url: str | None) -> Any:
    """The Redis the app's processes share (REDIS_URL), or None: state stays local."""
    if not url:
        return None
    import redis  # only needed when REDIS_URL is set

    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
