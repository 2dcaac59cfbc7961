"""Everything the preference page needs on its first render, read with the secret key.

`FirstRenders.load(external_id)` makes its upstream calls together (mint a token, read the
contact, its subscription states, and the subscription types unless cached), so the page
costs one round trip to Spotzee, not four, and answers within PAGE_DEADLINE_SECONDS however
slow Spotzee is. Subscription types change rarely and are cached: in Redis when REDIS_URL
is set (one copy for every process), else in each process.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from typing import Any, Protocol

from frontend import FirstRender
from spotzee import (
    ContactSubscription,
    SecretClient,
    SpotzeeUnavailable,
    SubscriptionState,
    SubscriptionType,
)


class TypeCache(Protocol):
    def fresh(self) -> list[SubscriptionType] | None: ...
    def store(self, types: list[SubscriptionType]) -> None: ...


def type_cache(redis: Any, ttl: float) -> TypeCache:
    return RedisTypeCache(redis, ttl) if redis is not None else SubscriptionTypeCache(ttl)


class RedisTypeCache:
    """The project's subscription types in Redis, for every process, for `ttl` seconds."""

    KEY = "prefs:subscription-types"

    def __init__(self, redis: Any, ttl: float) -> None:
        self.redis = redis
        self.ttl = ttl

    def fresh(self) -> list[SubscriptionType] | None:
        try:
            kept = self.redis.get(self.KEY)
        except Exception:
            return None
        return [SubscriptionType(**t) for t in json.loads(kept)] if kept else None

    def store(self, types: list[SubscriptionType]) -> None:
        if self.ttl > 0:
            value = json.dumps([asdict(t) for t in types])
            self.redis.set(self.KEY, value, px=int(self.ttl * 1000))


class SubscriptionTypeCache:
    """The project's subscription types in this process, refreshed every `ttl` seconds."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._types: list[SubscriptionType] | None = None
        self._fetched = 0.0

    def fresh(self) -> list[SubscriptionType] | None:
        with self._lock:
            if self._types is not None and time.monotonic() - self._fetched < self.ttl:
                return self._types
            return None

    def store(self, types: list[SubscriptionType]) -> None:
        with self._lock:
            self._types, self._fetched = types, time.monotonic()


class FirstRenders:
    """Loads first renders concurrently, each within a deadline."""

    def __init__(self, client: SecretClient, *, deadline_seconds: float, types: TypeCache) -> None:
        self.client = client
        self.deadline_seconds = deadline_seconds
        self.types = types
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="spotzee")

    def load(self, external_id: str) -> FirstRender:
        deadline = time.monotonic() + self.deadline_seconds
        client = self.client
        found = self._together(
            deadline,
            session=lambda: client.mint_contact_session(external_id, deadline=deadline),
            contact=lambda: client.get_contact(external_id, deadline=deadline),
            states=lambda: client.list_contact_subscriptions(external_id, deadline=deadline),
        )
        return FirstRender(
            contact=found["contact"],
            states=public_states(found["states"], found["types"]),
            session=found["session"],
        )

    def saved_states(self, external_id: str) -> list[ContactSubscription]:
        """The contact's state on every public type, read now, within the page deadline."""
        deadline = time.monotonic() + self.deadline_seconds
        found = self._together(
            deadline,
            states=lambda: self.client.list_contact_subscriptions(external_id, deadline=deadline),
        )
        return public_states(found["states"], found["types"])

    def _together(self, deadline: float, **calls: Callable[[], Any]) -> dict[str, Any]:
        """Make the calls at once, with the subscription types unless they are cached
        (and cached once fetched); their results by name. The first failure (in the order
        given) is raised, and SpotzeeUnavailable if any is still running at the deadline."""
        futures: dict[str, Future] = {name: self._pool.submit(call) for name, call in calls.items()}
        cached_types = self.types.fresh()  # read while the calls are in flight
        if cached_types is None:
            futures["types"] = self._pool.submit(
                self.client.list_subscription_types, deadline=deadline
            )
        done, pending = wait(
            futures.values(), timeout=deadline - time.monotonic(), return_when=FIRST_EXCEPTION
        )
        for future in futures.values():  # the first failure, in a stable order
            if future in done and future.exception() is not None:
                raise future.exception()  # type: ignore[misc]
        if pending:
            # The calls still running stop at the deadline on their own.
            raise SpotzeeUnavailable(
                f"Spotzee did not answer within {self.deadline_seconds:g} s", status=0
            )
        found = {name: future.result() for name, future in futures.items()}
        if cached_types is None:
            self.types.store(found["types"])
        else:
            found["types"] = cached_types
        return found


def public_states(
    states: Sequence[ContactSubscription], types: Sequence[SubscriptionType]
) -> list[ContactSubscription]:
    """The states of public types only (the ones a customer may see and change), in the
    project's order of types; a public type with no state reads unsubscribed."""
    state_of = {s.subscription_id: s.state for s in states}
    return [
        ContactSubscription(
            t.id, t.name, t.channel, state_of.get(t.id, SubscriptionState.UNSUBSCRIBED)
        )
        for t in types
        if t.is_public
    ]
