"""The relay: one change from the browser to Spotzee, `PATCH /subscriptions/me` with the
publishable key and the customer's contact session token.

With htmx the token arrives in a header (the page's script holds it in memory); without
JavaScript it arrives in a hidden field. A change whose outcome Spotzee never told us is
asked again by the `ContactClient`; if it still cannot tell, the saved states are read
with the secret key and shown as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from spotzee import ContactSubscription, OutcomeUnknown, SpotzeeError, SubscriptionState

from . import capabilities
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
        if request.endpoint != "frontend.set_subscription" or not request.view_args:
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
        return cls(
            Preference(
                subscription_id,
                form.get("name", "")[:200] or "That change",
                saved,
            ),
            SubscriptionState.SUBSCRIBED if wanted == "1" else SubscriptionState.UNSUBSCRIBED,
        )


@dataclass(frozen=True)
class Applied:
    """Spotzee's states after a change, and whether they confirm it (False: the change's
    outcome was not learnt; these are the states read afterwards)."""

    states: Sequence[ContactSubscription]
    confirmed: bool


def from_htmx() -> bool:
    return bool(current_app.htmx)  # type: ignore[attr-defined]


def presented_token() -> str:
    return request.headers.get(TOKEN_HEADER) or request.form.get("contact_token", "")


def apply(changes: Sequence[tuple[int, SubscriptionState]]) -> Applied:
    """Make the change with the presented token and return Spotzee's states."""
    client = capabilities().contact_client
    client.check_key(request.headers.get("Authorization"))
    try:
        return Applied(set_states(presented_token(), changes), confirmed=True)
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


def set_states(
    token: str, changes: Sequence[tuple[int, SubscriptionState]]
) -> Sequence[ContactSubscription]:
    """A plain form whose token has expired gets a fresh one for the signed-in customer and
    tries once more (a new Idempotency-Key: Spotzee refused the first, nothing was made).
    htmx requests leave that to the page's script, which holds the token."""
    client = capabilities().contact_client
    try:
        return client.set_states(token, changes)
    except SpotzeeError as error:
        if not error.token_rejected or from_htmx():
            raise
    return client.set_states(capabilities().mint().token, changes)
