"""Spotzee's words as Python types: the contact session, subscription states and types.

Names and fields follow Spotzee's generated SDK (`types.gen.ts`): `UserSessionResponse`,
`Subscription`, `UserSubscription`, `User`. Each `from_api` reads one JSON object and raises
ValueError when the answer does not have the shape the contract promises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

from .errors import SpotzeeError, SpotzeeUnavailable

# Spotzee's documented lifetime of a contact session token: 15 minutes, not refreshable.
TOKEN_LIFETIME_SECONDS = 15 * 60


class SubscriptionState(IntEnum):
    """A contact's state on one subscription type (spotzee-api.md §6)."""

    UNSUBSCRIBED = 0
    SUBSCRIBED = 1
    OPTED_IN = 2  # subscribed, and confirmed by double opt-in

    @property
    def receives(self) -> bool:
        """Whether Spotzee sends to the contact in this state."""
        return self is not SubscriptionState.UNSUBSCRIBED


@dataclass(frozen=True)
class ContactSession:
    """A contact session token and how long it lives.

    `expires_in` is counted by this server's clock when the token arrives and never exceeds
    Spotzee's 15 minutes; a browser is told that number rather than `expires_at`, so a
    browser whose clock is wrong still knows when to ask for a new token."""

    token: str = field(repr=False)
    expires_at: str | None
    expires_in: int

    @classmethod
    def from_api(cls, body: Any, now: float) -> ContactSession:
        token = _get(body, "token", str)
        expires_at = body.get("expires_at")
        if expires_at is None:
            return cls(token, None, TOKEN_LIFETIME_SECONDS)
        if not isinstance(expires_at, str):
            raise ValueError("expires_at is not a string")
        expiry = datetime.fromisoformat(expires_at.replace("Z", "+00:00")).timestamp()
        seconds = max(0, min(TOKEN_LIFETIME_SECONDS, int(expiry - now)))
        return cls(token, expires_at, seconds)


@dataclass(frozen=True)
class SubscriptionType:
    """A subscription type (the SDK's `Subscription`): what a contact can opt in to."""

    id: int
    name: str
    channel: str
    is_public: bool

    @classmethod
    def from_api(cls, body: Any) -> SubscriptionType:
        return cls(
            _get(body, "id", int),
            _get(body, "name", str),
            _get(body, "channel", str),
            bool(body.get("is_public", False)),
        )


@dataclass(frozen=True)
class ContactSubscription:
    """One of a contact's subscription states (the SDK's `UserSubscription`)."""

    subscription_id: int
    name: str
    channel: str
    state: SubscriptionState

    @classmethod
    def from_api(cls, body: Any) -> ContactSubscription:
        return cls(
            _get(body, "subscription_id", int),
            _get(body, "name", str),
            _get(body, "channel", str),
            SubscriptionState(_get(body, "state", int)),
        )


@dataclass(frozen=True)
class Contact:
    """The parts of a contact (the SDK's `User`) a preference centre shows or uses."""

    external_id: str
    email: str | None
    first_name: str | None
    locale: str | None
    timezone: str | None

    @classmethod
    def from_api(cls, body: Any) -> Contact:
        data = body.get("data") if isinstance(body, Mapping) else None
        first_name = data.get("first_name") if isinstance(data, Mapping) else None
        return cls(
            _get(body, "external_id", str),
            _optional(body, "email"),
            first_name if isinstance(first_name, str) else None,
            _optional(body, "locale"),
            _optional(body, "timezone"),
        )


def state_changes(changes: Sequence[tuple[int, SubscriptionState]]) -> list[dict[str, int]]:
    """The body both PATCH endpoints of subscription states take."""
    return [{"subscription_id": sub_id, "state": int(state)} for sub_id, state in changes]


def subscription_list(body: Any) -> list[ContactSubscription]:
    """The `results` of a `UserSubscriptionList` answer."""
    results = body.get("results") if isinstance(body, Mapping) else None
    if not isinstance(results, list):
        raise ValueError("the answer has no results list")
    return [ContactSubscription.from_api(item) for item in results]


def _get(body: Any, name: str, kind: type) -> Any:
    if not isinstance(body, Mapping):
        raise ValueError("the answer is not a JSON object")
    value = body.get(name)
    # bool is an int in Python, never in Spotzee's JSON.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{name} is missing or not a {kind.__name__}")
    return value


def _optional(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None


def read(parse: Any, *args: Any) -> Any:
    """Parse an answer; one without the promised shape is Spotzee's fault, never a 500."""
    try:
        return parse(*args)
    except (ValueError, TypeError, AttributeError) as error:
        raise unreadable(str(error)) from None


def unreadable(detail: str) -> SpotzeeError:
    return SpotzeeUnavailable(
        f"Spotzee's answer did not have the documented shape: {detail}", status=502
    )
