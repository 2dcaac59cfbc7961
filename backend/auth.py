"""Signing in and out, and who the current customer is (Flask-Login's `current_user`).

`flask_login.login_required` is the one sign-in guard, for the backend's routes and the
frontend's alike. Its answer to a signed-out visit: a page load is sent to the sign-in form
and back; anything else (an htmx change, a token request, a form post) is a 401, which the
app's error path answers in the form the caller asked for.

Every sign-in attempt is counted before the password is checked, so guesses sent in
parallel are limited as surely as guesses sent one by one.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

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
from flask_babel import gettext as _
from flask_login import current_user, login_url, login_user
from flask_wtf.csrf import CSRFError
from limits import RateLimitItem, parse

from frontend import SignOut, same_site_path

from . import compression, customers, links, sessions
from .config import ConfigurationError
from .extensions import limiter, login_manager
from .identity import Customer, Identify

bp = Blueprint("auth", __name__)
log = logging.getLogger("backend.auth")


def sign_in_limit() -> RateLimitItem:
    """At most this many attempts reach the password check, per email and per address."""
    return parse(current_app.config["SIGN_IN_LIMIT"])


def init_app(app: Flask) -> None:
    """This repo's own sign-in: the form, and customers from SQLite."""
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(load_customer)
    login_manager.request_loader(links.link_visitor)
    app.register_blueprint(bp)


def init_brand_sign_in(app: Flask, identify: Identify) -> None:
    """The brand's own sign-in: `identify` reads the customer from each request, and
    signed-out visitors are sent to SIGN_IN_URL (with `next`)."""
    if not app.config.get("SIGN_IN_URL"):
        raise ConfigurationError(
            "SIGN_IN_URL is not set: with your own sign-in (create_app(identify=…)), the app "
            "needs the address of your sign-in page."
        )
    login_manager.init_app(app)
    login_manager.login_view = app.config["SIGN_IN_URL"]
    # A preference link's pages still belong to the link's contact.
    login_manager.request_loader(lambda request: links.link_visitor() or identify(request))
    app.before_request(one_customer_per_session)


# The brand's id of the customer this browser's session serves (with the brand's sign-in).
SESSION_CUSTOMER = "brand_customer"


def one_customer_per_session() -> None:
    """With the brand's sign-in, tie this app's session to the customer the brand names, as
    this repo's own sign-in does by emptying the session at each sign-in: once the brand
    names someone else (signed out and in as another in another tab), a page load starts
    the session afresh, and a change or token request from a page of the one before is
    refused as from a stale session. Otherwise it would be replayed with a token minted
    for the new customer, and change them from a page that greets the one before."""
    if request.blueprint not in ("frontend", "tokens") or "signed" in (request.view_args or {}):
        return  # nothing of the session's, or a preference link (its own credential)
    if not current_user.is_authenticated:
        return
    served = session.get(SESSION_CUSTOMER)
    if served == current_user.id:
        return
    if request.method in ("GET", "HEAD"):
        if served is not None:
            session.clear()
        session[SESSION_CUSTOMER] = current_user.id
    elif served is not None:
        raise CSRFError("The brand's sign-in names another customer than this session's.")


def sign_out(app: Flask, *, brand: bool) -> SignOut | None:
    """The page's way out: this repo's POST /logout, or the brand's SIGN_OUT_URL (if any)."""
    if not brand:
        return SignOut(lambda: url_for("auth.logout"))
    if app.config.get("SIGN_OUT_URL"):
        return SignOut(lambda: app.config["SIGN_OUT_URL"], method="get")
    return None


def load_customer(customer_id: str) -> Customer | None:
    """The signed-in customer, except on a preference link's pages: there the link says
    whose preferences these are (links.link_visitor), whoever is signed in."""
    if "signed" in (request.view_args or {}):
        return None
    return customers.find(int(customer_id)) if customer_id.isdecimal() else None


@login_manager.unauthorized_handler
def signed_out() -> Any:
    """A signed-out page load goes to the sign-in form and back; nothing else is redirected
    (an htmx request would swap the sign-in page into the list)."""
    refused = links.refusal()
    if refused is not None:
        if request.endpoint == links.LINK_TOKEN_ENDPOINT:
            # The link's page asked for a token: its script knows a 401 there, and its
            # page then says the link no longer works (it expired, or its key went).
            abort(401)
        raise refused  # a link from an email: its own friendly page, not the sign-in form
    from_htmx = bool(current_app.htmx)  # type: ignore[attr-defined]
    wanted = request.accept_mimetypes.best_match(["text/html", "application/json"], "text/html")
    if request.method == "GET" and not from_htmx and wanted == "text/html":
        return redirect(login_url(login_manager.login_view, request.full_path.rstrip("?")))
    abort(401)


def email_key(email: str) -> str:
    """A limiter key for an email that is no email: it may reach logs and Redis, and what a
    client typed must never write a log line of its own."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def attempt_keys(email: str) -> tuple[tuple[str, str], tuple[str, str]]:
    return ("sign-in-address", request.remote_addr or "-"), ("sign-in-email", email_key(email))


def counted_attempt(email: str) -> bool:
    """Count this attempt against the address and the email, before anything is checked;
    False past either limit. The counting is one atomic step in the limiter's storage
    (memory or Redis), so parallel guesses cannot all slip in before any is counted."""
    by_address, by_email = attempt_keys(email)
    limit = sign_in_limit()
    return limiter.limiter.hit(limit, *by_address) and limiter.limiter.hit(limit, *by_email)


def signed_in_counts_for_nothing(email: str) -> None:
    """A sign-in that succeeded was no guess: the email's count starts again, and the
    address gets this attempt back (so one office behind one address is not limited to five
    sign-ins a minute). Both limits use the fixed-window strategy (Flask-Limiter's default),
    whose count is one integer per key."""
    by_address, by_email = attempt_keys(email)
    limit = sign_in_limit()
    limiter.limiter.clear(limit, *by_email)
    limiter.limiter.storage.incr(limit.key_for(*by_address), limit.get_expiry(), amount=-1)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the sign-in form (GET, and HEAD), or sign a customer in (POST only)."""
    compression.never()  # a CSRF token beside the email and `next` it echoes
    next_url = same_site_path(request.values.get("next"))
    if request.method != "POST":
        if current_user.is_authenticated:
            return redirect(next_url, code=303)
        return render_template("login.html", next=next_url, email="")
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    if not email or not password:
        # Not an attempt: nothing to check, so nothing is counted.
        if not email and not password:
            error = _("Enter your email and password to sign in.")
        elif not email:
            error = _("Enter your email to sign in.")
        else:
            error = _("Enter your password to sign in.")
        return render_template("login.html", next=next_url, email=email, error=error), 400
    if not counted_attempt(email):
        log.warning("sign-in refused: too many attempts")
        abort(429)
    customer = customers.authenticate(email, password)
    if customer is None:
        log.info("sign-in failed")
        return render_template(
            "login.html",
            next=next_url,
            email=email,
            error=_("That email and password don't match. Check them and try again."),
        ), 401
    signed_in_counts_for_nothing(email)
    # A new session at sign-in: nothing from before it (its CSRF token included) survives.
    sessions.end()
    login_user(customer)
    sessions.begin(customer.get_id())
    log.info("customer %s signed in", customer.id)
    return redirect(next_url, code=303)


@bp.post("/logout")
def logout() -> Response:
    """End the session (POST, with the CSRF token, so no other site can sign anyone out)."""
    sessions.end()
    return redirect(url_for("auth.login", signed_out=1), code=303)
