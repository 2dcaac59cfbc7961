"""The first render of the preference page: everything it needs, fetched concurrently.

`load(customer)` makes its upstream calls together (mint a token, the contact, its
subscription states, and the subscription types unless cached), so the page costs one
round trip to Spotzee, not four. The subscription types change rarely and are cached in
the process for SUBSCRIPTION_TYPES_CACHE_SECONDS.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    get_flashed_messages,
    make_response,
    render_template,
)

from frontend.model import ChannelGroup, Message, group_by_channel

from .auth import login_required
from .contact_session import IssuedToken, issued
from .customers import Customer
from .spotzee import SpotzeeClient

bp = Blueprint("preference_page", __name__)

_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="spotzee")


@dataclass(frozen=True)
class PreferencePage:
    name: str
    email: str | None
    channels: tuple[ChannelGroup, ...]
    session: IssuedToken


class SubscriptionTypeCache:
    """The project's subscription types, refreshed at most every `ttl` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._types: list[dict[str, Any]] | None = None
        self._fetched = 0.0

    def fresh(self) -> list[dict[str, Any]] | None:
        with self._lock:
            if self._types is not None and time.monotonic() - self._fetched < self.ttl:
                return self._types
            return None

    def store(self, types: list[dict[str, Any]]) -> None:
        with self._lock:
            self._types, self._fetched = types, time.monotonic()


def public_states(
    states: list[dict[str, Any]], types: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The states of public types only, in type order; an unset public type reads 0."""
    state_of = {s["subscription_id"]: s["state"] for s in states}
    return [
        {
            "subscription_id": t["id"],
            "name": t["name"],
            "channel": t["channel"],
            "state": state_of.get(t["id"], 0),
        }
        for t in types
        if t.get("is_public")
    ]


def load(customer: Customer) -> PreferencePage:
    """Everything the preference page needs for one customer, in one concurrent round."""
    client: SpotzeeClient = current_app.extensions["spotzee"]
    cache: SubscriptionTypeCache = current_app.extensions["subscription_types"]
    cached_types = cache.fresh()
    minted = _pool.submit(client.mint_contact_session, customer.external_id)
    contact = _pool.submit(client.get_contact, customer.external_id)
    states = _pool.submit(client.list_contact_subscriptions, customer.external_id)
    types = None if cached_types is not None else _pool.submit(client.list_subscription_types)
    # .result() re-raises the first failure; the others finish on their own timeouts.
    if types is None:
        type_list = cached_types or []
    else:
        type_list = types.result()
        cache.store(type_list)
    profile = contact.result()
    data = profile.get("data") or {}
    return PreferencePage(
        name=data.get("first_name") or customer.name,
        email=profile.get("email") or customer.email,
        channels=group_by_channel(public_states(states.result(), type_list)),
        session=issued(minted.result()),
    )


@bp.get("/preferences")
@login_required
def show() -> Response:
    """The preference centre, rendered whole on the server (no request needed to show it)."""
    page = load(g.customer)
    flashed = get_flashed_messages(with_categories=True)
    message = Message(*flashed[-1]) if flashed else None
    response = make_response(
        render_template(
            "preferences.html",
            page=page,
            channels=page.channels,
            message=message,
            contact_token=page.session.token,
            publishable_key=current_app.config["SPOTZEE_PUBLISHABLE_KEY"],
        )
    )
    # The page carries a contact session token: never cache it, anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response
