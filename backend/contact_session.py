"""Contact session tokens for the signed-in customer: `POST /api/contact-session`.

The browser asks here (session cookie + CSRF header) when its token is about to expire.
The token is minted for the signed-in customer's own contact only: the endpoint takes no
contact id from the caller. It is never logged or stored on the server.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, current_app, g, jsonify, session

from .auth import login_required
from .customers import Customer
from .extensions import csrf, limiter
from .spotzee import ContactSession, SpotzeeClient

bp = Blueprint("contact_session", __name__, url_prefix="/api")

TOKEN_LIFETIME_SECONDS = 15 * 60
MINTS_PER_CUSTOMER = "30 per minute"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: str
    expires_in: int


def spotzee() -> SpotzeeClient:
    return current_app.extensions["spotzee"]


def seconds_left(expires_at: str, now: float) -> int:
    """How long the token lives, by this server's clock, never more than Spotzee's 15 minutes.

    The browser is told this number rather than `expires_at`, so a browser whose clock is
    wrong still knows when to ask for a new token.
    """
    expiry = datetime.fromisoformat(expires_at.replace("Z", "+00:00")).timestamp()
    return max(0, min(TOKEN_LIFETIME_SECONDS, int(expiry - now)))


def issued(minted: ContactSession) -> IssuedToken:
    """What the browser is told about a freshly minted token."""
    return IssuedToken(
        minted.token, minted.expires_at, seconds_left(minted.expires_at, time.time())
    )


def issue_for(customer: Customer) -> IssuedToken:
    """Mint a contact session token for this customer's Spotzee contact."""
    return issued(spotzee().mint_contact_session(customer.external_id))


def mint_for_signed_in_customer() -> IssuedToken:
    """The capability the `frontend` is given instead of the secret key: a fresh token for
    whoever is signed in, nobody else."""
    if g.customer is None:
        raise PermissionError("no customer is signed in")
    return issue_for(g.customer)


def customer_key() -> str:
    return f"mint:{session.get('customer_id')}"


@bp.post("/contact-session")
@csrf.exempt  # checked below, after sign-in: a signed-out browser must learn it is signed out
@login_required
@limiter.limit(MINTS_PER_CUSTOMER, key_func=customer_key)
def contact_session() -> Response:
    """A fresh token for the signed-in customer: {token, expires_at, expires_in}."""
    csrf.protect()
    issued = issue_for(g.customer)
    response = jsonify(
        token=issued.token, expires_at=issued.expires_at, expires_in=issued.expires_in
    )
    response.headers["Cache-Control"] = "no-store"
    return response
