"""Friendly error pages (JSON under /api/): never a stack trace, never a secret.

When Spotzee is down the page says so, says the customer's preferences are unchanged, and
offers to try again.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .spotzee import ContactNotFound, SpotzeeError, SpotzeeUnavailable

log = logging.getLogger("backend.errors")

PAGES: dict[int, tuple[str, str]] = {
    400: ("That request didn't work", "Something in it wasn't right. Go back and try again."),
    401: ("Please sign in", "Your session has ended. Sign in again to continue."),
    403: (
        "That wasn't allowed",
        "The page may have been open for a long time. Reload it and try again.",
    ),
    404: ("Page not found", "There's nothing at this address."),
    405: ("That request didn't work", "This page can't be used that way."),
    413: ("That was too much", "The request was larger than we accept."),
    429: ("Too many attempts", "Please wait a minute before trying again."),
    500: ("Something went wrong", "We've been told about it. Your preferences are unchanged."),
    502: (
        "We couldn't reach our messaging service",
        "Your preferences are unchanged. Please try again in a moment.",
    ),
    503: (
        "Our messaging service is unavailable",
        "Your preferences are unchanged. Please try again in a moment.",
    ),
}
CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
    500: "internal_error",
    502: "upstream_error",
    503: "spotzee_unavailable",
}
RETRY_AFTER_SECONDS = "5"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def answer(
    status: int,
    message: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Any, int, dict[str, str]]:
    title, text = PAGES.get(status, PAGES[500])
    headers = {"Cache-Control": "no-store", **(headers or {})}
    if wants_json():
        return (
            jsonify(error=code or CODES.get(status, "error"), message=message or text),
            status,
            headers,
        )
    retry = status in (502, 503) or (status == 500 and request.method == "GET")
    return (
        render_template(
            "error.html",
            status=status,
            title=title,
            message=message or text,
            retry_url=request.full_path.rstrip("?") if retry else None,
        ),
        status,
        headers,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(_error: CSRFError) -> Any:
        return answer(
            403,
            "The security token was missing or did not match. Reload the page and try again.",
            "csrf_failed",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        headers = {}
        if status == 429:
            headers["Retry-After"] = "60"
        if status == 405 and error.valid_methods:
            headers["Allow"] = ", ".join(error.valid_methods)
        return answer(status if status in PAGES else 400, headers=headers)

    @app.errorhandler(ContactNotFound)
    def contact_missing(error: ContactNotFound) -> Any:
        log.warning("contact missing in Spotzee: %s", error)
        return answer(
            404,
            "We couldn't find your subscription record. Please contact us and we'll sort it out.",
            "contact_not_found",
        )

    @app.errorhandler(SpotzeeUnavailable)
    def spotzee_down(error: SpotzeeUnavailable) -> Any:
        log.warning("Spotzee unavailable: %s", error)
        return answer(503, headers={"Retry-After": RETRY_AFTER_SECONDS})

    @app.errorhandler(SpotzeeError)
    def spotzee_refused(error: SpotzeeError) -> Any:
        log.error("Spotzee refused a call: %s", error)
        return answer(502)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return answer(500)
