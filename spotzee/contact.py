"""`ContactClient`: the browser's two Spotzee endpoints, called with the publishable key.

`PATCH /subscriptions/me` and `GET /users/me`, with `pk_…` and a contact session token that
reaches one contact only. Nothing else is callable this way (the allow-list below); this
client holds no secret. A change is never retried blindly: a new decision needs a new
`Idempotency-Key`. But when a change was sent and no answer of Spotzee's came back (a
timeout, a lost connection), it may have been made; the same request is then asked again
with the same key, which Spotzee answers from its record if the change was made and carries
out once if not (spotzee-api.md §5.3), until the outcome is known or the time is up.
"""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import OutcomeUnknown, SpotzeeError
from .models import (
    Contact,
    ContactSubscription,
    SubscriptionState,
    read,
    state_changes,
    subscription_list,
)
from .wire import Answer, Transport

# The only calls a publishable key may make for a contact (spotzee-api.md §1.3).
ALLOWED = frozenset({("PATCH", "/subscriptions/me"), ("GET", "/users/me")})
# The header's current name in Spotzee's live spec and SDK; the older
# X-Spotzee-Contact-Token is still accepted by Spotzee but no longer documented.
TOKEN_HEADER = "X-Spotzee-User-Token"  # noqa: S105 - a header name
# What Spotzee's error names when it refused the key itself, not the token.
KEY_HEADER = "Authorization"
# What a token can look like (Spotzee's are JWTs): anything else is refused unsent.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9._~+/=-]{1,4096}")
# Asking again after an unknown outcome: first after this long, doubling, with jitter.
RECONCILE_FIRST_WAIT_SECONDS = 0.25
RECONCILE_MAX_WAIT_SECONDS = 2.0


@dataclass(frozen=True)
class Saved:
    """A change Spotzee made: every state of the contact now, and Spotzee's request id."""

    states: list[ContactSubscription]
    request_id: str | None


class NotAllowed(ValueError):
    """Not one of the publishable key's endpoints, or not the configured publishable key."""


class ContactClient:
    """Calls for one contact, with the project's publishable key and their token."""

    def __init__(
        self,
        transport: Transport,
        publishable_key: str,
        *,
        reconcile_seconds: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.transport = transport
        self.publishable_key = publishable_key
        self.reconcile_seconds = reconcile_seconds
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"ContactClient({self.transport.base_url!r})"

    def check_key(self, authorization: str | None) -> None:
        """A browser may name the publishable key; any other key is refused."""
        if authorization is None:
            return
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.publishable_key:
            raise NotAllowed("only the configured publishable key is accepted")

    def current_contact(self, token: str) -> Contact:
        """GET /users/me: the token's contact."""
        return read(Contact.from_api, self.call("GET", "/users/me", token).body)

    def set_states(self, token: str, changes: Sequence[tuple[int, SubscriptionState]]) -> Saved:
        """PATCH /subscriptions/me; the contact's full refreshed list of states, with the
        request id of the answer that says so.

        Raises OutcomeUnknown when the change was sent but, within `reconcile_seconds`,
        Spotzee never said whether it was made."""
        body = state_changes(changes)
        key = str(uuid.uuid4())  # one per change; every replay of it reuses it
        try:
            answer = self.call("PATCH", "/subscriptions/me", token, body=body, key=key)
        except SpotzeeError as error:
            if not error.outcome_unknown:
                raise
            answer = self._reconcile(token, body, key, error)
        return Saved(read(subscription_list, answer.body), answer.request_id)

    def _reconcile(self, token: str, body: Any, key: str, first: SpotzeeError) -> Answer:
        """Ask again with the same Idempotency-Key until Spotzee says what happened."""
        deadline = time.monotonic() + self.reconcile_seconds
        wait = RECONCILE_FIRST_WAIT_SECONDS
        last = first
        while True:
            pause = last.retry_after if last.retry_after is not None else wait
            pause += random.uniform(0, 0.1)  # noqa: S311 - jitter, not security
            if time.monotonic() + pause >= deadline:
                raise OutcomeUnknown(
                    f"PATCH /subscriptions/me: outcome unknown after {last.message}",
                    in_progress=last.code == "idempotency_in_progress",
                    request_id=last.request_id,
                )
            self._sleep(pause)
            wait = min(wait * 2, RECONCILE_MAX_WAIT_SECONDS)
            try:
                return self.call(
                    "PATCH", "/subscriptions/me", token, body=body, key=key, deadline=deadline
                )
            except SpotzeeError as error:
                if not still_unknown(error):
                    raise
                last = error

    def call(
        self,
        method: str,
        path: str,
        token: str,
        *,
        body: Any = None,
        key: str | None = None,
        deadline: float | None = None,
    ) -> Answer:
        """The one door to Spotzee: allow-listed calls only, with the publishable key and
        the token, and `key` as the Idempotency-Key."""
        if (method, path) not in ALLOWED:
            raise NotAllowed(f"{method} {path} is not a publishable-key endpoint")
        if not TOKEN_SHAPE.fullmatch(token):
            # Nothing that cannot be a token is sent (nor could it be: a header must be
            # printable ASCII). Spotzee would refuse it anyway.
            raise rejected(SpotzeeError("No usable contact session token.", status=401, sent=False))
        headers = {TOKEN_HEADER: token}
        if key is not None:
            headers["Idempotency-Key"] = key
        try:
            return self.transport.send(
                method,
                path,
                key=self.publishable_key,
                headers=headers,
                body=body,
                deadline=deadline,
                secrets=(token,),
            )
        except SpotzeeError as error:
            if error.status == 401 and error.param != KEY_HEADER:
                raise rejected(error) from None
            raise


def rejected(error: SpotzeeError) -> SpotzeeError:
    """Mark a 401 to a token call: Spotzee refused the contact session token. (A 401 that
    names the Authorization header refused the publishable key: the app's configuration,
    which no new token mends.)"""
    error.token_rejected = True
    return error


def still_unknown(error: SpotzeeError) -> bool:
    """Whether an answer to a replay leaves the first attempt's outcome unknown.

    409 idempotency_in_progress: the first attempt is still running. No answer, 429, 5xx,
    or 401 (the token ran out meanwhile): the replay was refused before Spotzee looked the
    key up. Any other answer is Spotzee's verdict on this very change."""
    return error.outcome_unknown or error.unavailable or error.token_rejected
