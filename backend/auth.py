"""Signing in and out, and `login_required` for the views that need a signed-in customer."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address

from . import customers
from .extensions import limiter

bp = Blueprint("auth", __name__)
log = logging.getLogger("backend.auth")

FAILED_SIGN_INS = "5 per minute"


@bp.before_app_request
def load_customer() -> None:
    if request.endpoint == "static":
        return  # stylesheets and scripts need no customer (and no database look-up)
    customer_id = session.get("customer_id")
    g.customer = customers.find(customer_id) if isinstance(customer_id, int) else None


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Pages redirect to the sign-in form; /api/ routes and htmx requests answer 401."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.customer is None:
            if request.path.startswith("/api/") or request.headers.get("HX-Request"):
                abort(401)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no `//host` or `/\\host` tricks."""
    default = url_for("preference_page.show")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def email_key() -> str:
    return "sign-in:" + request.form.get("email", "").strip().lower()


def failed(response: Response) -> bool:
    """Only failed sign-ins count towards the throttle."""
    return response.status_code != 303


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(FAILED_SIGN_INS, key_func=email_key, methods=["POST"], deduct_when=failed)
@limiter.limit(FAILED_SIGN_INS, key_func=get_remote_address, methods=["POST"], deduct_when=failed)
def login() -> Any:
    """Show the sign-in form, or sign a customer in."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.customer is not None:
            return redirect(next_url, code=303)
        return render_template("login.html", next=next_url, email="")
    email = request.form.get("email", "")
    customer = customers.authenticate(email, request.form.get("password", ""))
    if customer is None:
        log.info("sign-in failed")
        return render_template(
            "login.html",
            next=next_url,
            email=email,
            error="That email and password don't match. Check them and try again.",
        ), 401
    # A new session at sign-in: nothing from before it (including its CSRF token) survives.
    session.clear()
    session["customer_id"] = customer.id
    log.info("customer %s signed in", customer.id)
    return redirect(next_url, code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session (POST, with the CSRF token, so no other site can sign anyone out)."""
    session.clear()
    return redirect(url_for("auth.login", signed_out=1), code=303)
