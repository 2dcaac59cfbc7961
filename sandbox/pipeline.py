"""What every request to /api/client goes through before and after its endpoint runs:
request id, authentication, key kind and role, API version, rate limit, contact token,
body size, idempotency, injected faults, then the query and body against the operation's
models; afterwards the standard headers and the request log.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import time
from typing import Any

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from . import auth, errors, idempotency, validation
from .answers import no_content
from .api import operations
from .errors import ApiError
from .ids import request_id
from .logtext import escaped
from .operations import Operation
from .state import sandbox_state, store

log = logging.getLogger("sandbox.api")

API_VERSION = "2026-04-28"
VERSION_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MUTATING = frozenset({"POST", "PATCH"})
API_PREFIX = "/api/client"

# CORS for browser callers (section 5.9): only the endpoints a publishable key may call.
CORS_PATHS = frozenset(API_PREFIX + op.path for op in operations if "public" in op.scopes)
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "X-Request-Id, Idempotent-Replayed, Spotzee-Version, "
    "Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, X-RateLimit-Tier",
}
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, PATCH, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Spotzee-Contact-Token, "
    "X-Spotzee-User-Token, Idempotency-Key, Spotzee-Version, x-spotzee-client-type",
    "Access-Control-Max-Age": "600",
}


def install(app: Flask) -> None:
    """Hook the pipeline into the app. It runs at app level because a blueprint's hooks do
    not run for URLs that match no route, and those need the same authentication and errors."""
    app.before_request(before)
    app.after_request(after)
    app.register_error_handler(ApiError, errors.problem)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, unexpected)


def is_api_request() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")


def unexpected(error: Exception) -> Response:
    log.exception("unexpected error serving %s %s", escaped(request.method), escaped(request.path))
    return errors.problem(errors.for_status(500))


def http_error(error: HTTPException) -> Response:
    if isinstance(error, RequestEntityTooLarge):
        return errors.problem(
            ApiError(
                "parameter_invalid_format",
                "The request body is larger than 1 MiB.",
                status=413,
                param="body",
            )
        )
    if error.code == 405:
        return errors.problem(
            ApiError(
                "resource_missing",
                f"{request.method} is not supported on {request.path}.",
                status=405,
                headers={"Allow": ", ".join(error.valid_methods or [])},
            )
        )
    if error.code == 404:
        return errors.problem(
            ApiError("resource_missing", f"No endpoint at {request.method} {request.path}.")
        )
    return errors.problem(errors.for_status(error.code or 500))


def before() -> Response | None:
    g.request_id = request_id()
    g.started = time.perf_counter()
    if not is_api_request():
        return None
    if request.method == "OPTIONS" and request.path in CORS_PATHS:
        return no_content(PREFLIGHT_HEADERS)
    state = sandbox_state()
    now = state.clock.now()

    principal = auth.authenticate(store(), state.credentials, request.headers.get("Authorization"))
    g.principal = principal
    if request.routing_exception is not None:
        raise request.routing_exception
    operation: Operation = current_app.view_functions[request.endpoint].operation
    auth.require(principal, scopes=operation.scopes, role=operation.role)
    check_version(request.headers.get("Spotzee-Version"))
    if current_app.config["RATE_LIMITS"]:
        g.rate_headers = state.rate_limiter.check(
            principal.key_sha256, principal.rate_limit, request.method, now
        )
    if operation.token:
        g.contact = auth.contact_for_token(
            store(), state.credentials, principal, request.headers, now
        )

    if request.method in MUTATING:
        body = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413, unread
        key = request.headers.get("Idempotency-Key")
        if key is not None:
            replay = claim_idempotency(principal, key, body, now)
            if replay is not None:
                return replay

    fault = state.faults.take(request.method, request.path)
    if fault is not None and fault.after:
        g.after_fault = fault
    elif fault is not None:
        if fault.latency_ms:
            time.sleep(fault.latency_ms / 1000)
        if fault.drop:
            return drop_connection()
        if fault.status is not None:
            raise errors.for_status(fault.status)

    if operation.query is not None:
        g.query = validation.query(operation.query, request.args)
    if operation.body is not None:
        g.body = validation.body(operation.body, each_item=operation.each_item)
    return None


def check_version(version: str | None) -> None:
    if version is None:
        return
    if not VERSION_FORMAT.match(version):
        raise ApiError(
            "parameter_invalid_format",
            "Spotzee-Version must be a date, YYYY-MM-DD.",
            param="Spotzee-Version",
        )
    if version != API_VERSION:
        raise ApiError(
            "version_unsupported",
            f"API version {version} is not supported; the current release is {API_VERSION}.",
            param="Spotzee-Version",
        )


def claim_idempotency(
    principal: auth.Principal, key: str, body: bytes, now: float
) -> Response | None:
    idempotency.validate_key(key)
    # A publishable key is shared by every browser, so its keys are also scoped to the
    # contact: one customer's key can never replay another customer's answer.
    contact = g.get("contact")
    scope = f"{principal.key_sha256}|{contact['id'] if contact is not None else ''}"
    sent = idempotency.Sent(request.method, request.path, idempotency.body_digest(body))
    stored = idempotency.claim(store().conn, scope, key, sent, now)
    if stored is None:
        g.idempotency = (scope, key)
        return None
    g.replayed = True
    response = Response(stored.body, status=stored.status, content_type=stored.content_type)
    if not stored.content_type:
        del response.headers["Content-Type"]  # a kept 204 had none
    response.headers.update(stored.headers)
    response.headers["X-Request-Id"] = stored.request_id
    response.headers["Idempotent-Replayed"] = "true"
    return response


def drop_connection() -> Response:
    """Close the client's connection without an answer, as a failing network would."""
    g.dropped = True
    # Settle before closing: the client learns of the drop at once and may ask at once.
    settle(Response(status=500))
    return close_connection()


def close_connection() -> Response:
    # Werkzeug's server and gunicorn each expose the client's socket under their own name.
    connection = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if connection is not None:
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    return Response(status=500)


def after(response: Response) -> Response:
    if not is_api_request():
        return response
    if not g.get("replayed"):
        response.headers["X-Request-Id"] = g.get("request_id") or request_id()
    response.headers["Spotzee-Version"] = API_VERSION
    if request.path in CORS_PATHS:
        response.headers.update(CORS_HEADERS)
    if response.status_code < 400 and g.get("rate_headers"):
        response.headers.update(g.rate_headers)
    if not g.get("settled"):
        settle(response)
    fault = g.pop("after_fault", None)
    if fault is not None:
        return late_or_lost(response, fault)
    return response


def late_or_lost(done: Response, fault: Any) -> Response:
    """An `after` fault: the work is done and settled (a replay with the same
    Idempotency-Key gets the kept answer); only this answer is late, lost or replaced."""
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault.drop:
        return close_connection()
    if fault.status is not None:
        replaced = errors.problem(errors.for_status(fault.status))
        replaced.headers["X-Request-Id"] = done.headers["X-Request-Id"]
        replaced.headers["Spotzee-Version"] = API_VERSION
        return replaced
    return done


def settle(response: Response) -> None:
    """Keep (or release) the idempotency claim and log the request, once."""
    g.settled = True
    if g.get("idempotency"):
        scope, key = g.idempotency
        answer = None if g.get("dropped") else stored_answer(response)
        idempotency.finish(store().conn, scope, key, answer)
    record(response, 0 if g.get("dropped") else response.status_code)


def stored_answer(response: Response) -> idempotency.Stored:
    kept = {name: response.headers[name] for name in ("Retry-After",) if name in response.headers}
    return idempotency.Stored(
        status=response.status_code,
        content_type=response.content_type or "",
        body=response.get_data(),
        request_id=response.headers["X-Request-Id"],
        headers=kept,
    )


def record(response: Response, status: int) -> None:
    state = sandbox_state()
    entry: dict[str, Any] = {
        "method": request.method,
        "path": request.path,
        "status": status,
        "idempotency_key": request.headers.get("Idempotency-Key"),
        "replayed": bool(g.get("replayed")),
        "at": state.clock.now(),
    }
    state.requests.append(entry)
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.3f}"
    log.info(
        "%s %s %s %.1fms %s%s",
        escaped(request.method),
        escaped(request.path),
        status,
        elapsed_ms,
        response.headers.get("X-Request-Id") or g.get("request_id"),
        " replayed" if entry["replayed"] else "",
    )
