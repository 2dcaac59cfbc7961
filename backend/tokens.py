"""Contact session tokens for the signed-in customer: `POST /api/contact-session`.

The page's script asks here (session cookie + CSRF header) when its token is about to
expire. The token is minted for the signed-in customer's own contact only: the endpoint
takes no contact id from the caller. It is never logged or stored on the server.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, session
from flask_login import current_user, login_required

from spotzee import SecretClient

from .extensions import csrf, limiter

bp = Blueprint("tokens", __name__, url_prefix="/api")

MINTS_PER_CUSTOMER = "30 per minute"


def secret_client() -> SecretClient:
    return current_app.extensions["spotzee"]


def customer_key() -> str:
    return f"mint:{session.get('_user_id')}"


@bp.post("/contact-session")
@csrf.exempt  # checked below, after sign-in: a signed-out browser must learn it is signed out
@login_required
@limiter.limit(MINTS_PER_CUSTOMER, key_func=customer_key)
def contact_session() -> Response:
    """A fresh token for the signed-in customer: {token, expires_at, expires_in}."""
    csrf.protect()
    minted = secret_client().mint_contact_session(current_user.external_id)
    response = jsonify(
        token=minted.token, expires_at=minted.expires_at, expires_in=minted.expires_in
    )
    response.headers["Cache-Control"] = "no-store"
    return response
