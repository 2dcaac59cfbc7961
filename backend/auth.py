"""Signing in and out, and who the current customer is (Flask-Login's `current_user`).

`flask_login.login_required` is the one sign-in guard, for the backend's routes and the
frontend's alike. Its answer to a signed-out visit: a page load is sent to the sign-in form
and back; anything else (an htmx change, a token request, a form post) is a 401, which the
app's error path answers in the form the caller asked for.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from . import customers
from .customers import Customer
from .extensions import limiter, login_manager

bp = Blueprint("auth", __name__)
log = logging.getLogger("backend.auth")

FAILED_SIGN_INS = "5 per minute"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    app.register_blueprint(bp)


@login_manager.user_loader
def load_customer(customer_id: str) -> Customer | None:
    return customers.find(int(customer_id)) if customer_id.isdecimal() else None


@login_manager.unauthorized_handler
def signed_out() -> Any:
    """A signed-out page load goes to the sign-in form and back; nothing else is redirected
    (an htmx request would swap the sign-in page into the list)."""
    from_htmx = bool(current_app.htmx)  # type: ignore[attr-defined]
    wanted = request.accept_mimetypes.best_match(["text/html", "application/json"], "text/html")
    if request.method == "GET" and not from_htmx and wanted == "text/html":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    abort(401)


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no `//host` or `/\\host` tricks."""
    default = url_for("frontend.page")
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
        if current_user.is_authenticated:
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
    login_user(customer)
    log.info("customer %s signed in", customer.id)
    return redirect(next_url, code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session (POST, with the CSRF token, so no other site can sign anyone out)."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login", signed_out=1), code=303)
