"""`SecretClient`: the calls a brand's server makes to Spotzee with the secret key.

Mint a contact session token, read a contact, its subscription states and the subscription
types, and set states from the server (one-click unsubscribe). Every call is retried only
where that is safe: no answer at all, 429 (after `Retry-After`), 5xx, and 409
`idempotency_in_progress`, with exponential backoff and full jitter, at most three attempts
and never past a deadline. Every POST and PATCH carries an `Idempotency-Key`, the same on
every attempt of one operation, so a retried mint never mints twice.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from .errors import ContactNotFound, SpotzeeError
from .models import (
    Contact,
    ContactSession,
    ContactSubscription,
    SubscriptionState,
    SubscriptionType,
    read,
    state_changes,
    unreadable,
)
from .wire import Answer, Transport, quote

MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 2.0
# A Retry-After longer than this is not waited out inside a customer's request.
MAX_RETRY_AFTER_SECONDS = 5.0
PAGE_SIZE = 100


class SecretClient:
    """Server-side calls with the project's secret key (`sk_…`), which only it holds."""

    def __init__(
        self,
        transport: Transport,
        secret_key: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self._secret_key = secret_key
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"SecretClient({self.transport.base_url!r}, secret_key=[redacted])"

    def mint_contact_session(
        self, external_id: str, *, deadline: float | None = None
    ) -> ContactSession:
        """POST /users/{external_id}/sessions: a 15-minute token for this one contact."""
        answer = self._contact_call("POST", external_id, "/sessions", deadline=deadline)
        return read(ContactSession.from_api, answer.body, time.time())

    def get_contact(self, external_id: str, *, deadline: float | None = None) -> Contact:
        """GET /users/{external_id}."""
        answer = self._contact_call("GET", external_id, deadline=deadline)
        return read(Contact.from_api, answer.body)

    def list_contact_subscriptions(
        self, external_id: str, *, deadline: float | None = None
    ) -> list[ContactSubscription]:
        """GET /users/{external_id}/subscriptions: the contact's state on every type."""
        path = f"/users/{quote(external_id)}/subscriptions"
        try:
            pages = self._all_pages(path, deadline)
        except SpotzeeError as error:
            raise contact_missing(error) from None
        return [read(ContactSubscription.from_api, item) for item in pages]

    def list_subscription_types(self, *, deadline: float | None = None) -> list[SubscriptionType]:
        """GET /subscriptions: every subscription type of the project."""
        return [
            read(SubscriptionType.from_api, t) for t in self._all_pages("/subscriptions", deadline)
        ]

    def set_contact_subscriptions(
        self,
        external_id: str,
        changes: Sequence[tuple[int, SubscriptionState]],
        *,
        idempotency_key: str | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """PATCH /users/{external_id}/subscriptions: its Answer (the refreshed contact, the
        request id, and whether Spotzee replayed an earlier answer for this key).

        A caller that may send the same operation again later (a mail client retrying a
        one-click unsubscribe) passes its own `idempotency_key`, derived from the operation,
        so that every repeat is recognised by Spotzee."""
        body = state_changes(changes)
        return self._contact_call(
            "PATCH",
            external_id,
            "/subscriptions",
            body=body,
            idempotency_key=idempotency_key,
            deadline=deadline,
        )

    # -- retries ----------------------------------------------------------------------------

    def _contact_call(self, method: str, external_id: str, rest: str = "", **kwargs: Any) -> Any:
        try:
            return self._call(method, f"/users/{quote(external_id)}{rest}", **kwargs)
        except SpotzeeError as error:
            raise contact_missing(error) from None

    def _all_pages(self, path: str, deadline: float | None) -> list[Any]:
        results: list[Any] = []
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        while True:
            page = self._call("GET", path, params=params, deadline=deadline).body
            items = page.get("results") if isinstance(page, dict) else None
            if not isinstance(items, list):
                raise unreadable(f"GET {path} has no results list")
            results.extend(items)
            if not page.get("nextCursor"):
                return results
            params = {"limit": PAGE_SIZE, "cursor": page["nextCursor"]}

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        deadline: float | None = None,
    ) -> Answer:
        headers = {}
        if method in ("POST", "PATCH"):
            # One key per operation, reused by every attempt of it.
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        # The same request on every attempt.
        request = {"key": self._secret_key, "headers": headers, "body": body, "params": params}
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return self.transport.send(
                    method, path, deadline=deadline, attempt=(attempt, MAX_ATTEMPTS), **request
                )
            except SpotzeeError as error:
                wait = retry_wait(error, attempt)
                if wait is None or not time_left(deadline, wait):
                    raise
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover


def retry_wait(error: SpotzeeError, attempt: int) -> float | None:
    """Seconds to wait before the next attempt, or None when this failure is final."""
    if attempt >= MAX_ATTEMPTS:
        return None
    if not error.unavailable:
        return None
    if error.retry_after is None:
        return backoff(attempt)
    if error.retry_after > MAX_RETRY_AFTER_SECONDS:
        return None
    return error.retry_after + random.uniform(0, 0.25)  # noqa: S311 - jitter, not security


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 0.2 s, 0.4 s, … capped at 2 s."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not security


def time_left(deadline: float | None, wait: float) -> bool:
    return deadline is None or time.monotonic() + wait < deadline


def contact_missing(error: SpotzeeError) -> SpotzeeError:
    """A 404 on a /users/{userId} call means the contact is not in the project."""
    if error.status == 404 and error.code == "resource_missing":
        return ContactNotFound(
            error.message, status=404, code=error.code, request_id=error.request_id
        )
    return error
