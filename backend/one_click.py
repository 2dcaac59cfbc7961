"""One-click unsubscribe from an email (RFC 8058): `GET` and `POST /u/<signed>`.

A mail client that shows an "Unsubscribe" button POSTs `List-Unsubscribe=One-Click` to the
link in the email's `List-Unsubscribe` header, with no cookies and no CSRF token: the signed
link is the credential. That sets the link's one subscription type to unsubscribed with the
secret key (`PATCH /users/{userId}/subscriptions`), under an Idempotency-Key derived from
the link, so every repeat is the same operation to Spotzee. It answers 200, never a
redirect; and 503 with Retry-After when Spotzee cannot be reached (mail providers retry),
never a false 200. `GET` never changes anything (scanners fetch links): it shows the type's
name, an Unsubscribe button and the way to the full preference page.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request

from frontend import Change, words_for
from spotzee import (
    Answer,
    ContactNotFound,
    ContactSubscription,
    SpotzeeError,
    SubscriptionState,
)

from . import compression, consent, links
from .extensions import csrf
from .tokens import secret_client

bp = Blueprint("one_click", __name__)
log = logging.getLogger("backend.one_click")

ONE_CLICK_BODY = ("List-Unsubscribe", "One-Click")  # RFC 8058's form field and value
# How often one link may unsubscribe again after the type was turned back on, within
# Spotzee's idempotency window (24 hours), before the app stops asking.
MAX_REUSES = 20


def subscription(grant: links.Grant) -> ContactSubscription | None:
    """The contact's state on the link's type now (None: no such type)."""
    states = secret_client().list_contact_subscriptions(grant.external_id)
    return next((s for s in states if s.subscription_id == grant.subscription_id), None)


def shown_name(found: ContactSubscription) -> str:
    """Named as the preference page names it, in the customer's language."""
    return words_for(found.subscription_id).name or found.name


def preference_link(grant: links.Grant) -> str:
    """A fresh preference link for the same contact: the full page, one click away."""
    return links.email_links(
        grant.external_id,
        base_url=request.host_url,
        secret_key=current_app.config["LINK_SECRET_KEY"],
    ).preferences


def unsubscribe(grant: links.Grant, signed: str) -> Answer:
    """Set the link's type to unsubscribed, as one operation however often the mail
    provider retries it: the Idempotency-Key comes from the link. If Spotzee replays an
    unsubscribe this link made before and the type is on again (the customer turned it
    back on since), that answer is old news: unsubscribe anew, under a key derived from the
    answer replayed, so that retries of this one are recognised too."""
    key = one_click_key(signed)
    for _ in range(MAX_REUSES):
        answer = secret_client().set_contact_subscriptions(
            grant.external_id,
            [(grant.subscription_id, SubscriptionState.UNSUBSCRIBED)],
            idempotency_key=key,
        )
        now = subscription(grant) if answer.replayed else None
        if now is None or not now.state.receives:
            return answer
        key = one_click_key(signed, answer.request_id or "")
    raise SpotzeeError(
        f"one-click: the link was replayed {MAX_REUSES} times with its type on", status=0
    )


def one_click_key(signed: str, after: str = "") -> str:
    return "one-click-" + hashlib.sha256(f"{signed}\n{after}".encode()).hexdigest()[:48]


@bp.route("/u/<signed>", methods=["GET", "POST"])
@csrf.exempt  # the signed link is the credential: no cookie, so nothing to forge
def one_click(signed: str) -> Any:
    """Show what one click unsubscribes from (GET), or do it (POST)."""
    compression.never()
    grant = links.verify(signed, links.UNSUBSCRIBE)
    found = subscription(grant)
    if found is None:
        abort(404)
    name, state = shown_name(found), found.state
    if request.method != "POST":
        return render_template(
            "one_click.html", name=name, done=False, preferences=preference_link(grant)
        )
    if request.form.get(ONE_CLICK_BODY[0]) != ONE_CLICK_BODY[1]:
        abort(400)
    if state.receives:
        answer = unsubscribe(grant, signed)
        if not answer.replayed:
            consent.append_for(
                grant.external_id,
                [
                    Change(
                        grant.subscription_id,  # type: ignore[arg-type]
                        found.name,  # Spotzee's name, as the page's changes record it
                        state,
                        SubscriptionState.UNSUBSCRIBED,
                        "one-click",
                        answer.request_id,
                    )
                ],
            )
        log.info("one-click unsubscribe done (request %s)", answer.request_id or "-")
    return render_template(
        "one_click.html", name=name, done=True, preferences=preference_link(grant)
    )


@bp.errorhandler(SpotzeeError)
def spotzee_failed(error: SpotzeeError) -> Response:
    """Never a false 200. Spotzee out of reach: 503 with Retry-After, which a mail provider
    retries; the contact gone: 404; anything else Spotzee refused: 502."""
    log.warning("one-click unsubscribe failed: %s", error)
    status = 503 if error.unavailable else 404 if isinstance(error, ContactNotFound) else 502
    response = make_response(
        render_template("one_click.html", name=None, done=False, failed=True, preferences=None),
        status,
    )
    if status == 503:
        response.headers["Retry-After"] = "60"
    response.headers["Cache-Control"] = "no-store"
    return response
