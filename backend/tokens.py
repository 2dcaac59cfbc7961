"""Contact session tokens for the signed-in customer: `POST /api/contact-session` (and
`POST /p/<signed>/contact-session` for a preference link's page), and the one limit on how
many any customer may have minted.

The page's script asks here (session cookie + CSRF header) when its token is about to
expire. The token is minted for the signed-in customer's own contact only: the endpoint
takes no contact id from the caller. It is never logged or stored on the server.

Every token handed to a browser is also noted in its session, as a fingerprint under the
contact it was minted for, and the relay spends only a token noted for the contact of the
page it serves (`handed_out`). Spotzee alone would accept any live token for any contact:
a customer holding another contact's preference link could otherwise send that link's
token to their own page, and the change would land on the other contact while the consent
record filed it under their own.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_login import current_user, login_required
from limits import parse
from werkzeug.exceptions import TooManyRequests

from frontend import FirstRender, recall, remember
from spotzee import ContactSession, SecretClient

from . import compression
from .extensions import csrf, limiter
from .first_render import FirstRenders
from .identity import Customer

bp = Blueprint("tokens", __name__)

# [[external_id, [fingerprint, ...]], ...]: the tokens this browser was handed, newest
# last. A token lives 15 minutes and each page load mints one, so a few per contact cover
# every open tab; a tab whose token was pushed out, or lost to another tab's answer
# writing the cookie at the same moment, is refused once and its script mints a new one.
HANDED_OUT = "contact_tokens"
KEPT_PER_CONTACT = 8
KEPT_CONTACTS = 4


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
    return hand_out(secret_client().mint_contact_session(counted_mint(current_user)))


def first_render(renders: FirstRenders) -> FirstRender:
    """The page's first render for the customer (or link) of this request, its token
    counted and noted."""
    render = renders.load(counted_mint(current_user))
    hand_out(render.session)
    return render


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:24]


def hand_out(minted: ContactSession) -> ContactSession:
    """Note in the session that this browser was given `minted` for this request's contact."""
    contact = current_user.external_id
    prints = noted(contact)[-(KEPT_PER_CONTACT - 1) :]
    remember(HANDED_OUT, contact, [*prints, fingerprint(minted.token)], contacts=KEPT_CONTACTS)
    return minted


def handed_out(token: str) -> bool:
    """Whether this browser was given `token` for the contact of this request."""
    return bool(token) and fingerprint(token) in noted(current_user.external_id)


def noted(contact: str) -> list[str]:
    prints = recall(HANDED_OUT, contact)
    return prints if isinstance(prints, list) else []


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
