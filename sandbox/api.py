"""The Spotzee API endpoints the sandbox serves under /api/client, each declared with the
operationId, keys and models of Spotzee's generated SDK (see `operations` and `models`)."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from flask import Blueprint, Response, g

from . import auth, validation
from .answers import answer, no_content
from .clock import iso
from .errors import ApiError
from .logtext import escaped
from .models import (
    EventBatch,
    PageQuery,
    Subscription,
    SubscriptionBatchToggleError,
    SubscriptionBatchToggleRequest,
    SubscriptionBatchToggleResponse,
    SubscriptionBatchToggleResult,
    SubscriptionCreate,
    SubscriptionList,
    SubscriptionUpdate,
    User,
    UserBatchItemError,
    UserBatchResult,
    UserBatchSyncRequest,
    UserBatchSyncResponse,
    UserSessionResponse,
    UserSubscription,
    UserSubscriptionList,
    UserSubscriptionToggle,
    UserUpsertItem,
)
from .operations import EITHER, PUBLIC, SECRET, OperationTable
from .pagination import page
from .state import sandbox_state, store

log = logging.getLogger("sandbox.api")
bp = Blueprint("api", __name__, url_prefix="/api/client")
operations = OperationTable(bp)

# The fields `q` searches on both subscription lists ("the resource's indexed fields").
SEARCHABLE = ("name", "channel")


# -- representations --------------------------------------------------------------------


def user(row: sqlite3.Row) -> User:
    devices = json.loads(row["devices"])
    return User(
        id=row["id"],
        project_id=row["project_id"],
        external_id=row["external_id"],
        anonymous_id=row["anonymous_id"],
        email=row["email"],
        phone=row["phone"],
        timezone=row["timezone"],
        locale=row["locale"],
        data=json.loads(row["data"]),
        has_push_device=bool(devices),
        devices=devices,
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        project_id=row["project_id"],
        name=row["name"],
        channel=row["channel"],
        is_public=bool(row["is_public"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def user_subscriptions(
    contact_id: int, *, public_only: bool, types: list[sqlite3.Row] | None = None
) -> list[UserSubscription]:
    """The contact's state for each type. Unset reads as 0 on a public type (no opt-in yet)
    and as 1 on a non-public type (internal flows reach everyone)."""
    states = store().states(contact_id)
    return [
        UserSubscription(
            subscription_id=row["id"],
            state=states.get(row["id"], 0 if row["is_public"] else 1),
            name=row["name"],
            channel=row["channel"],
        )
        for row in (store().subscription_types(project_id()) if types is None else types)
        if row["is_public"] or not public_only
    ]


def now_stamp() -> str:
    return iso(sandbox_state().clock.now())


def project_id() -> int:
    return g.principal.project_id


def contact_for(user_id: str) -> sqlite3.Row:
    """Resolve a {userId}: external_id first, then the numeric id when it is all digits."""
    contact = store().contact_by_external_id(project_id(), user_id)
    # isdigit() alone is true for '¹' and '٣', which int() refuses or reads as another number.
    if contact is None and user_id.isascii() and user_id.isdigit() and len(user_id) < 19:
        contact = store().contact_by_id(project_id(), int(user_id))
    if contact is None:
        raise ApiError(
            "resource_missing", f"User {user_id} was not found in this project.", param="userId"
        )
    return contact


def contact_by_identity(external_id: str | None, anonymous_id: str | None) -> sqlite3.Row | None:
    """The user an item names: by external_id first, then by anonymous_id."""
    pid = project_id()
    return (store().contact_by_external_id(pid, external_id) if external_id else None) or (
        store().contact_by_anonymous_id(pid, anonymous_id) if anonymous_id else None
    )


def check_subscription_ids(ids: list[int], rows: list[sqlite3.Row], *, public_only: bool) -> None:
    """Refuse the whole change, before anything is written, if any id is unknown or hidden."""
    types = {row["id"]: row for row in rows}
    for index, sub_id in enumerate(ids):
        if sub_id not in types:
            raise ApiError(
                "resource_missing",
                f"Subscription type {sub_id} was not found in this project.",
                param=f"[{index}].subscription_id",
            )
    for index, sub_id in enumerate(ids):
        if public_only and not types[sub_id]["is_public"]:
            raise ApiError(
                "permission_denied",
                f"Subscription type {sub_id} is not public; only your server can change it.",
                param=f"[{index}].subscription_id",
            )


def set_states(contact_id: int, changes: list[Any], *, public_only: bool) -> list[sqlite3.Row]:
    types = store().subscription_types(project_id())
    check_subscription_ids(
        [change.subscription_id for change in changes], types, public_only=public_only
    )
    stamp = now_stamp()
    with store().transaction():
        for change in changes:
            store().set_state(contact_id, change.subscription_id, int(change.state), stamp)
    return types


# -- contact session tokens and the browser (publishable key) endpoints ---------------------


@operations.add(
    "POST",
    "/users/{userId}/sessions",
    "createUserSession",
    summary="Mint a contact session token (15 minutes, not refreshable)",
    scopes=SECRET,
    role="editor",
    answer=UserSessionResponse,
)
def mint_session(user_id: str) -> Response:
    contact = contact_for(user_id)
    token, expires = auth.mint(
        auth.signing_secret(store(), sandbox_state().credentials),
        project_id(),
        contact,
        sandbox_state().clock.now(),
    )
    return answer(UserSessionResponse(token=token, expires_at=iso(expires)))


@operations.add(
    "GET",
    "/users/me",
    "getCurrentUser",
    summary="Get the user the session token is bound to",
    scopes=PUBLIC,
    token=True,
    answer=User,
)
def current_contact() -> Response:
    return answer(user(g.contact))


@operations.add(
    "PATCH",
    "/subscriptions/me",
    "updateCurrentUserSubscriptions",
    summary="Set the token's user's states on public types; answer every public state",
    scopes=PUBLIC,
    token=True,
    body=UserSubscriptionToggle,
    answer=UserSubscriptionList,
)
def toggle_my_subscriptions() -> Response:
    types = set_states(g.contact["id"], g.body, public_only=True)
    results = user_subscriptions(g.contact["id"], public_only=True, types=types)
    return answer(
        UserSubscriptionList(results=results, nextCursor=None, prevCursor=None, limit=len(results))
    )


# -- users (secret key) -----------------------------------------------------------------


@operations.add(
    "GET", "/users/{userId}", "getUser", summary="Get a user", scopes=SECRET, answer=User
)
def get_contact(user_id: str) -> Response:
    return answer(user(contact_for(user_id)))


@operations.add(
    "DELETE",
    "/users/{userId}",
    "deleteUser",
    summary="Delete a user (at once; Spotzee queues it)",
    scopes=SECRET,
    role="editor",
    answer=None,
)
def delete_contact(user_id: str) -> Response:
    contact = contact_for(user_id)
    with store().transaction():
        store().delete_contact(contact["id"])
    return no_content()


@operations.add(
    "POST",
    "/users/batch",
    "batchUpsertUsers",
    summary="Upsert 1-100 users synchronously; each succeeds or fails on its own",
    scopes=SECRET,
    role="editor",
    body=UserBatchSyncRequest,
    each_item=True,
    answer=UserBatchSyncResponse,
)
def upsert_contacts() -> Response:
    stamp = now_stamp()
    with store().transaction():
        results = [upsert_one(index, raw, stamp) for index, raw in enumerate(g.body)]
    failed = sum(1 for result in results if result.error is not None)
    return answer(
        UserBatchSyncResponse(results=results, succeeded=len(results) - failed, failed=failed)
    )


def upsert_one(index: int, raw: Any, stamp: str) -> UserBatchResult:
    echo = {
        name: raw[name] if isinstance(raw, dict) and isinstance(raw.get(name), str) else None
        for name in ("external_id", "anonymous_id")
    }
    item, problem = validation.item(UserUpsertItem, raw)
    if problem is not None:
        return UserBatchResult(index=index, **echo, error=UserBatchItemError(**problem))
    # Only the fields sent are written; an identifier sent as null keeps the stored one.
    fields = item.model_dump(exclude_unset=True)
    for name in ("external_id", "anonymous_id"):
        if fields.get(name) is None:
            fields.pop(name, None)
    pid = project_id()
    existing = contact_by_identity(item.external_id, item.anonymous_id)
    store().conn.execute("SAVEPOINT item")
    try:
        if existing is None:
            # The SDK's User always has a string external_id, and UserUpsertByAnonymousId may
            # create a user without one: its anonymous_id stands in until it is identified.
            fields.setdefault("external_id", item.anonymous_id)
            contact_id = store().insert_contact(pid, fields, stamp)
        else:
            contact_id = existing["id"]
            store().update_contact(contact_id, fields, stamp)
    except sqlite3.IntegrityError:
        store().conn.execute("ROLLBACK TO item")
        return UserBatchResult(
            index=index,
            **echo,
            error=UserBatchItemError(
                code="state_conflict",
                message="These identifiers already belong to two different users.",
            ),
        )
    store().conn.execute("RELEASE item")
    return UserBatchResult(index=index, **echo, user=user(store().contact_by_id(pid, contact_id)))


# -- subscription states (secret key) -------------------------------------------------------


@operations.add(
    "GET",
    "/users/{userId}/subscriptions",
    "listUserSubscriptions",
    summary="List a user's states on every subscription type",
    scopes=SECRET,
    query=PageQuery,
    answer=UserSubscriptionList,
)
def list_contact_subscriptions(user_id: str) -> Response:
    contact = contact_for(user_id)
    items = user_subscriptions(contact["id"], public_only=False)
    return answer(
        UserSubscriptionList(**page(items, g.query, key="subscription_id", searchable=SEARCHABLE))
    )


@operations.add(
    "PATCH",
    "/users/{userId}/subscriptions",
    "toggleUserSubscriptions",
    summary="Set a user's states on any type; answer the refreshed user",
    scopes=SECRET,
    role="editor",
    body=UserSubscriptionToggle,
    answer=User,
)
def toggle_contact_subscriptions(user_id: str) -> Response:
    contact = contact_for(user_id)
    set_states(contact["id"], g.body, public_only=False)
    return answer(user(contact))


@operations.add(
    "POST",
    "/subscriptions/batch",
    "batchToggleSubscriptions",
    summary="Set states across many users; each change succeeds or fails on its own",
    scopes=SECRET,
    role="editor",
    body=SubscriptionBatchToggleRequest,
    answer=SubscriptionBatchToggleResponse,
)
def toggle_many_contacts() -> Response:
    types = {row["id"] for row in store().subscription_types(project_id())}
    stamp = now_stamp()
    with store().transaction():
        results = [toggle_one(index, change, types, stamp) for index, change in enumerate(g.body)]
    failed = sum(1 for result in results if result.error is not None)
    return answer(
        SubscriptionBatchToggleResponse(
            results=results, succeeded=len(results) - failed, failed=failed
        )
    )


def toggle_one(
    index: int, change: Any, types: set[int], stamp: str
) -> SubscriptionBatchToggleResult:
    result = SubscriptionBatchToggleResult(
        index=index,
        subscription_id=change.subscription_id,
        external_id=change.external_id,
        anonymous_id=change.anonymous_id,
    )

    def failed(code: str, message: str) -> SubscriptionBatchToggleResult:
        result.error = SubscriptionBatchToggleError(code=code, message=message)
        return result

    if change.external_id is None and change.anonymous_id is None:
        return failed("parameter_missing", "One of external_id or anonymous_id is required.")
    contact = contact_by_identity(change.external_id, change.anonymous_id)
    if contact is None:
        return failed("resource_missing", "Contact identity could not be resolved.")
    if change.subscription_id not in types:
        return failed(
            "resource_missing", f"Subscription type {change.subscription_id} was not found."
        )
    store().set_state(contact["id"], change.subscription_id, int(change.state), stamp)
    result.state = change.state
    return result


# -- subscription types (secret key) --------------------------------------------------------


@operations.add(
    "GET",
    "/subscriptions",
    "listSubscriptions",
    summary="List subscription types",
    scopes=SECRET,
    query=PageQuery,
    answer=SubscriptionList,
)
def list_subscription_types() -> Response:
    items = [subscription(row) for row in store().subscription_types(project_id())]
    return answer(SubscriptionList(**page(items, g.query, searchable=SEARCHABLE)))


@operations.add(
    "POST",
    "/subscriptions",
    "createSubscription",
    summary="Create a subscription type",
    scopes=SECRET,
    role="admin",
    body=SubscriptionCreate,
    answer=Subscription,
)
def create_subscription_type() -> Response:
    new: SubscriptionCreate = g.body
    with store().transaction():
        new_id = store().insert_subscription_type(
            project_id(), new.name, new.channel.value, new.is_public, now_stamp()
        )
    return answer(subscription(store().subscription_type(project_id(), new_id)))


@operations.add(
    "GET",
    "/subscriptions/{subscriptionId}",
    "getSubscription",
    summary="Get a subscription type",
    scopes=SECRET,
    answer=Subscription,
)
def get_subscription_type(subscription_id: int) -> Response:
    return answer(subscription(subscription_type_or_404(subscription_id)))


@operations.add(
    "PATCH",
    "/subscriptions/{subscriptionId}",
    "updateSubscription",
    summary="Rename a subscription type or change its visibility",
    scopes=SECRET,
    role="admin",
    body=SubscriptionUpdate,
    answer=Subscription,
)
def update_subscription_type(subscription_id: int) -> Response:
    subscription_type_or_404(subscription_id)
    if "channel" in validation.json_body():
        raise ApiError(
            "parameter_unknown", "A subscription type's channel cannot be changed.", param="channel"
        )
    change: SubscriptionUpdate = g.body
    with store().transaction():
        store().update_subscription_type(
            subscription_id, change.name, change.is_public, now_stamp()
        )
    return answer(subscription(store().subscription_type(project_id(), subscription_id)))


def subscription_type_or_404(subscription_id: int) -> sqlite3.Row:
    in_range = validation.is_int(subscription_id, 1)
    row = store().subscription_type(project_id(), subscription_id) if in_range else None
    if row is None:
        raise ApiError(
            "resource_missing",
            f"Subscription type {subscription_id} was not found in this project.",
            param="subscriptionId",
        )
    return row


# -- events ---------------------------------------------------------------------------------


@operations.add(
    "POST",
    "/events",
    "trackEvents",
    summary="Track 1-100 events (stored and logged; Spotzee queues them)",
    scopes=EITHER,
    body=EventBatch,
    answer=None,
)
def track_events() -> Response:
    events = [event.root for event in g.body]
    stamp = now_stamp()
    with store().transaction():
        for event in events:
            store().insert_event(project_id(), event.model_dump(), stamp)
    log.info(
        "accepted %d event(s): %s",
        len(events),
        ", ".join(sorted({escaped(event.name) for event in events})),
    )
    return no_content()
