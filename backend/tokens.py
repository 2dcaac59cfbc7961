"""Contact session tokens for the signed-in customer: `POST /api/contact-session` (and
`POST /p/<signed>/contact-session` for a preference link's page), and the one limit on how
many any customer may have minted.

The page's script asks here (session cookie + CSRF header) when its token is about to
expire. The token is minted for the signed-in customer's own contact only: the endpoint
takes no contact id from the caller. It is never logged or stored on the server.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_login import current_user, login_required
from limits import parse
from werkzeug.exceptions import TooManyRequests

from spotzee import ContactSession, SecretClient

from . import compression
from .extensions import csrf, limiter
from .identity import Customer

bp = Blueprint("tokens", __name__)


def secret_client() -> SecretClient:
    return current_app.extensions["spotzee"]


def mint_url() -> str:
    """Where the page being served asks for its next token: a preference link's page at
    its own address (the link is its credential), any other at /api/contact-session."""
    signed = (request.view_args or {}).get("signed")
    if signed is not None:
        return url_for("tokens.link_contact_session", signed=signed)
    return url_for("tokens.contact_session")


def counted_mint(customer: Customer) -> str:
    """Count one mint for this customer (every mint with the secret key counts: page loads,
    token requests, plain-form retries); their external_id, or 429 past MINT_LIMIT."""
    if not limiter.limiter.hit(parse(current_app.config["MINT_LIMIT"]), "mint", customer.get_id()):
        raise TooManyRequests()
    return customer.external_id


def mint_for_current_user() -> ContactSession:
    """A new contact session token for the customer (or link) of this request, counted."""
    return secret_client().mint_contact_session(counted_mint(current_user))


@bp.post("/api/contact-session")
@bp.post("/p/<signed>/contact-session", endpoint="link_contact_session")
@csrf.exempt  # checked below, after sign-in: a signed-out browser must learn it is signed out
@login_required
def contact_session(signed: str | None = None) -> Response:
    """A fresh token for the signed-in customer (or, at a preference link's own address,
    for the link's contact): {token, expires_at, expires_in}."""
    csrf.protect()
    minted = mint_for_current_user()
    response = jsonify(
        token=minted.token, expires_at=minted.expires_at, expires_in=minted.expires_in
    )
    response.headers["Cache-Control"] = "no-store"
    compression.never()
    return response
