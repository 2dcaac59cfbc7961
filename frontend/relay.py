"""The relay: one change from the browser to Spotzee, `PATCH /subscriptions/me` with the
publishable key and the customer's contact session token.

With htmx the token arrives in a header (the page's script holds it in memory); without
JavaScript it arrives in a hidden field. A change whose outcome Spotzee never told us is
asked again by the `ContactClient`; if it still cannot tell, the saved states are read
with the secret key and shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from spotzee import ContactSubscription, OutcomeUnknown, Saved, SpotzeeError, SubscriptionState

from . import Change, capabilities
from .brand import words_for
from .i18n import gettext as _
from .model import Preference

# The one header the page's script sends the token in (to this app, not to Spotzee).
TOKEN_HEADER = "X-Spotzee-User-Token"  # noqa: S105 - a header name


@dataclass(frozen=True)
class SwitchChange:
    """A change to one switch, as its form posted it."""

    saved: Preference  # what the page showed: the state to return to if this fails
    wanted: SubscriptionState

    @classmethod
    def from_request(cls) -> SwitchChange | None:
        """The switch change this request asks for; None for any other request, or when its
        form cannot be read (too large, say: the error path asks, and must not fail)."""
        endpoints = ("frontend.set_subscription", "frontend.link_set_subscription")
        if request.endpoint not in endpoints or not request.view_args:
            return None
        try:
            return cls.from_form(request.view_args["subscription_id"])
        except HTTPException:
            return None

    @classmethod
    def from_form(cls, subscription_id: int) -> SwitchChange:
        form = request.form
        wanted = form.get("retry_state") or form.get("subscribed", "0")
        previous = form.get("previous_state", "0")
        saved = (
            SubscriptionState(int(previous))
            if previous in ("0", "1", "2")
            else SubscriptionState.UNSUBSCRIBED
        )
        words = words_for(subscription_id)
        return cls(
            Preference(
                subscription_id,
                form.get("name", "")[:200] or words.name or _("That change"),
                saved,
                description=words.description,
                frequency=words.frequency,
            ),
            SubscriptionState.SUBSCRIBED if wanted == "1" else SubscriptionState.UNSUBSCRIBED,
        )


@dataclass(frozen=True)
class Applied:
    """Spotzee's states after a change, and whether they confirm it (False: the change's
    outcome was not learnt; these are the states read afterwards)."""

    states: Sequence[ContactSubscription]
    confirmed: bool
    # What went into the consent record: the lines the answer adds to "Recent changes".
    recorded: Sequence[Change] = ()


def from_htmx() -> bool:
    return bool(current_app.htmx)  # type: ignore[attr-defined]


def presented_token() -> str:
    return request.headers.get(TOKEN_HEADER) or request.form.get("contact_token", "")


def source() -> str:
    """How this change came, for the consent record."""
    if "signed" in (request.view_args or {}):
        return "link"
    return "page" if from_htmx() else "page-nojs"


def apply(
    changes: Sequence[tuple[int, SubscriptionState]],
    *,
    shown: Mapping[int, SubscriptionState],
    how: str | None = None,
) -> Applied:
    """Make the change with the presented token and return Spotzee's states. What Spotzee
    confirmed changing, from the states the customer was shown (`shown`), goes into the
    consent record, as coming from `how` (by default, the page or link it came from)."""
    client = capabilities().contact_client
    client.check_key(request.headers.get("Authorization"))
    try:
        saved = set_states(presented_token(), changes)
    except OutcomeUnknown as unknown:
        # Asking again did not tell; show what Spotzee has now, unless it said it is still
        # working on the change (what it has now would say nothing yet). If the states
        # cannot be read either, the outcome stays unknown and the error path says so.
        if unknown.in_progress:
            raise
        try:
            return Applied(capabilities().saved_states(), confirmed=False)
        except SpotzeeError:
            pass
        raise
    now = {s.subscription_id: s for s in saved.states}
    recorded = [
        Change(
            sub_id,
            now[sub_id].name,
            shown[sub_id],
            now[sub_id].state,
            how or source(),
            saved.request_id,
        )
        for sub_id, _wanted in changes
        if sub_id in now and sub_id in shown and now[sub_id].state != shown[sub_id]
    ]
    capabilities().record(recorded)
    return Applied(saved.states, confirmed=True, recorded=recorded)


def set_states(token: str, changes: Sequence[tuple[int, SubscriptionState]]) -> Saved:
    """A plain form whose token has expired gets a fresh one for the signed-in customer and
    tries once more (a new Idempotency-Key: Spotzee refused the first, nothing was made).
    htmx requests leave that to the page's script, which holds the token.

    A token this browser was not given for this page's contact is refused as an expired
    one is, without asking Spotzee: Spotzee would make the change on whichever contact the
    token names, and this page would record it as its own contact's."""
    client = capabilities().contact_client
    if capabilities().handed_out(token):
        try:
            return client.set_states(token, changes)
        except SpotzeeError as error:
            if not error.token_rejected or from_htmx():
                raise
    elif from_htmx():
        raise not_handed_out()
    return client.set_states(capabilities().mint().token, changes)


def not_handed_out() -> SpotzeeError:
    refused = SpotzeeError(
        "PATCH /subscriptions/me: not sent: this browser was not given that token for "
        "this page's contact",
        status=401,
        sent=False,
        from_spotzee=False,
    )
    refused.token_rejected = True
    return refused
