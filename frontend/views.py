"""Preference-centre routes: the page, the htmx fragments and their plain-form twins.

Each change makes one upstream call (`relay.apply`) and renders the list from Spotzee's
answer: the whole list for htmx, a redirect back to the page (post/redirect/get) for a
plain form. Failures are raised to the app's error path (`frontend/errors.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required
from flask_wtf.csrf import generate_csrf

from spotzee import ContactSubscription, SubscriptionState

from . import bp, capabilities
from .model import Message, Scope, all_subscription_ids, group_by_channel
from .relay import Applied, SwitchChange, apply, from_htmx

MAX_CHANGES = 100  # Spotzee's limit on one PATCH /subscriptions/me


@bp.get("/")
def index() -> str:
    """The brand's landing page, with the way in to the preference centre."""
    return render_template("index.html")


@bp.get("/preferences")
@login_required
def page() -> Response:
    """The preference centre, rendered whole on the server (no request needed to show it)."""
    first = capabilities().first_render()
    flashed = get_flashed_messages(with_categories=True)
    response = make_response(
        render_template(
            "preferences.html",
            contact=first.contact,
            session=first.session,
            publishable_key=capabilities().contact_client.publishable_key,
            **list_context(
                first.states,
                Message(*flashed[-1]) if flashed else None,
                # The plain forms carry both tokens; the script removes the contact token
                # from the page and sends both as headers instead.
                form_tokens={"csrf_token": generate_csrf(), "contact_token": first.session.token},
            ),
        )
    )
    # The page carries a contact session token: never cache it, anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/preferences/subscriptions/<int:subscription_id>")
@login_required
def set_subscription(subscription_id: int) -> Response:
    """Turn one subscription on or off."""
    change = SwitchChange.from_form(subscription_id)
    applied = apply([(subscription_id, change.wanted)])
    saved = next((s for s in applied.states if s.subscription_id == subscription_id), None)
    name = saved.name if saved else change.saved.name
    now_on = saved is not None and saved.state.receives
    return answered(applied, name, "subscribed" if now_on else "unsubscribed")


@bp.post("/preferences/unsubscribe/<scope>")
@login_required
def unsubscribe(scope: str) -> Any:
    """Unsubscribe from every type of a channel, or from everything, in one upstream call."""
    covered = Scope.of(scope)
    if covered is None:
        abort(404)
    ids = request.form.getlist("subscription_id")
    if (
        not ids
        or len(ids) > MAX_CHANGES
        or not all(i.isascii() and i.isdecimal() and len(i) < 12 for i in ids)
    ):
        abort(400)
    if request.form.get("confirmed") != "1":
        # Without JavaScript there is no dialog: the server asks before anything changes.
        return render_template("confirm_unsubscribe.html", scope=covered, ids=ids)
    applied = apply([(int(i), SubscriptionState.UNSUBSCRIBED) for i in dict.fromkeys(ids)])
    return answered(applied, covered.subject, "unsubscribed")


def answered(applied: Applied, subject: str, outcome: str) -> Response:
    """The refreshed list for htmx; for a plain form, the message and back to the page."""
    if applied.confirmed:
        message = Message("success", f"{subject}: {outcome}")
    else:
        message = Message(
            "error",
            f"{subject}: we couldn't confirm this change in time. The switches show what's "
            "saved now; try again if it isn't what you wanted.",
        )
    if not from_htmx():
        flash(message.text, message.kind)
        return redirect(url_for("frontend.page"), code=303)
    response = make_response(
        render_template("_preferences.html", **list_context(applied.states, message, None))
    )
    # Named at answer time, so the target is the list on the page now, whatever was
    # re-rendered since the request left.
    response.headers["HX-Retarget"] = "#preferences"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def list_context(
    states: Sequence[ContactSubscription],
    message: Message | None,
    form_tokens: dict[str, str] | None,
) -> dict[str, Any]:
    """What `_preferences.html` renders: the page passes the tokens for the plain forms,
    htmx answers pass None (the page's script sends both tokens as headers)."""
    channels = group_by_channel(states)
    return {
        "channels": channels,
        "everything": {"scope": Scope.of("all"), "ids": all_subscription_ids(channels)},
        "message": message,
        "form_tokens": form_tokens,
    }


def is_id(value: str) -> bool:
    """A subscription type id as a form sends it: ASCII digits, not absurdly long."""
    return value.isascii() and value.isdecimal() and len(value) < 12
