"""The Spotzee API endpoints the sandbox serves under /api/client, shaped as the contract says."""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from . import auth, validation
from .answers import no_content
from .clock import iso
from .errors import ApiError
from .logtext import escaped
from .pagination import page
from .pipeline import EITHER, PUBLIC, SECRET, endpoint
from .state import sandbox_state, store

log = logging.getLogger("sandbox.api")
bp = Blueprint("api", __name__, url_prefix="/api/client")

CHANNELS = ("email", "text", "push", "webhook", "in_app")
# The fields `q` searches on both subscription lists ("the resource's indexed fields").
SEARCHABLE = ("name", "channel")


# -- representations --------------------------------------------------------------------


def contact_json(row: sqlite3.Row) -> dict[str, Any]:
    devices = json.loads(row["devices"])
    return {
        "id": row["id"],
        "project_id": row["project_id"],
        "external_id": row["external_id"],
        "anonymous_id": row["anonymous_id"],
        "email": row["email"],
        "phone": row["phone"],
        "timezone": row["timezone"],
        "locale": row["locale"],
        "data": json.loads(row["data"]),
        "has_push_device": bool(devices),
        "devices": devices,
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def subscription_type_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "project_id": row["project_id"],
        "name": row["name"],
        "channel": row["channel"],
        "is_public": bool(row["is_public"]),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def state_items(contact_id: int, project_id: int, *, public_only: bool) -> list[dict[str, Any]]:
    """The contact's state for each type. Unset reads as 0 on a public type (no opt-in yet)
    and as 1 on a non-public type (internal flows reach everyone)."""
    states = store().states(contact_id)
    return [
        {
            "subscription_id": row["id"],
            "state": states.get(row["id"], 0 if row["is_public"] else 1),
            "name": row["name"],
            "channel": row["channel"],
        }
        for row in store().subscription_types(project_id)
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


def check_subscription_ids(ids: list[int], *, public_only: bool) -> None:
    """Refuse the whole change, before anything is written, if any id is unknown or hidden."""
    types = {row["id"]: row for row in store().subscription_types(project_id())}
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


# -- contact session tokens and the browser (publishable key) endpoints ---------------------


@bp.post("/users/<user_id>/sessions")
@endpoint(scopes=SECRET, role="editor")
def mint_session(user_id: str) -> Response:
    """Mint a 15-minute contact session token for one contact."""
    contact = contact_for(user_id)
    token, expires = auth.mint(
        auth.signing_secret(store(), sandbox_state().credentials),
        project_id(),
        contact,
        sandbox_state().clock.now(),
    )
    return jsonify(token=token, expires_at=iso(expires))


@bp.get("/users/me")
@endpoint(scopes=PUBLIC, token=True)
def current_contact() -> Response:
    """The contact the session token is bound to."""
    return jsonify(contact_json(g.contact))


@bp.patch("/subscriptions/me")
@endpoint(scopes=PUBLIC, token=True)
def toggle_my_subscriptions() -> Response:
    """Set the token's contact's states on public types; answer with all public states."""
    changes = validation.toggles(validation.json_body())
    check_subscription_ids([sub_id for sub_id, _ in changes], public_only=True)
    stamp = now_stamp()
    with store().transaction():
        for sub_id, state in changes:
            store().set_state(g.contact["id"], sub_id, state, stamp)
    results = state_items(g.contact["id"], project_id(), public_only=True)
    return jsonify(results=results, nextCursor=None, prevCursor=None, limit=len(results))


# -- contacts (secret key) --------------------------------------------------------------


@bp.get("/users/<user_id>")
@endpoint(scopes=SECRET)
def get_contact(user_id: str) -> Response:
    return jsonify(contact_json(contact_for(user_id)))


@bp.delete("/users/<user_id>")
@endpoint(scopes=SECRET, role="editor")
def delete_contact(user_id: str) -> Response:
    """Documented as queued; the sandbox deletes at once, so its effect is testable."""
    contact = contact_for(user_id)
    with store().transaction():
        store().delete_contact(contact["id"])
    return no_content()


@bp.post("/users/batch")
@endpoint(scopes=SECRET, role="editor")
def upsert_contacts() -> Response:
    """Synchronous upsert of 1-100 contacts; a bad item fails alone, the others are saved."""
    items = validation.array_of_objects(validation.json_body())
    results = []
    stamp = now_stamp()
    with store().transaction():
        for index, item in enumerate(items):
            results.append({"index": index, **upsert_one(item, stamp)})
    failed = sum(1 for result in results if "error" in result)
    return jsonify(results=results, succeeded=len(results) - failed, failed=failed)


def upsert_one(item: Any, stamp: str) -> dict[str, Any]:
    ids = {"external_id": None, "anonymous_id": None}
    if not isinstance(item, dict):
        return {
            **ids,
            "error": {
                "code": "parameter_invalid_format",
                "message": "Each item must be an object.",
            },
        }
    for name in ids:
        if isinstance(item.get(name), str):
            ids[name] = item[name]
    try:
        external_id, anonymous_id = validation.identity(item)
        fields = validation.contact_fields(item)
    except LookupError as missing:
        return {**ids, "error": {"code": "parameter_missing", "message": str(missing)}}
    except ValueError as bad:
        return {**ids, "error": {"code": "parameter_invalid_format", "message": str(bad)}}
    pid = project_id()
    existing = (store().contact_by_external_id(pid, external_id) if external_id else None) or (
        store().contact_by_anonymous_id(pid, anonymous_id) if anonymous_id else None
    )
    fields.update(
        {
            k: v
            for k, v in (("external_id", external_id), ("anonymous_id", anonymous_id))
            if v is not None
        }
    )
    store().conn.execute("SAVEPOINT item")
    try:
        if existing is None:
            contact_id = store().insert_contact(pid, fields, stamp)
        else:
            contact_id = existing["id"]
            store().update_contact(contact_id, fields, stamp)
    except sqlite3.IntegrityError:
        store().conn.execute("ROLLBACK TO item")
        return {
            **ids,
            "error": {
                "code": "state_conflict",
                "message": "These identifiers already belong to two different users.",
            },
        }
    store().conn.execute("RELEASE item")
    return {**ids, "user": contact_json(store().contact_by_id(pid, contact_id))}


# -- subscription states (secret key) -------------------------------------------------------


@bp.get("/users/<user_id>/subscriptions")
@endpoint(scopes=SECRET)
def list_contact_subscriptions(user_id: str) -> Response:
    contact = contact_for(user_id)
    items = state_items(contact["id"], project_id(), public_only=False)
    return jsonify(page(items, request.args, key="subscription_id", searchable=SEARCHABLE))


@bp.patch("/users/<user_id>/subscriptions")
@endpoint(scopes=SECRET, role="editor")
def toggle_contact_subscriptions(user_id: str) -> Response:
    """Set states on any type (public or not); answer with the refreshed contact."""
    contact = contact_for(user_id)
    changes = validation.toggles(validation.json_body())
    check_subscription_ids([sub_id for sub_id, _ in changes], public_only=False)
    stamp = now_stamp()
    with store().transaction():
        for sub_id, state in changes:
            store().set_state(contact["id"], sub_id, state, stamp)
    return jsonify(contact_json(store().contact_by_id(project_id(), contact["id"])))


@bp.post("/subscriptions/batch")
@endpoint(scopes=SECRET, role="editor")
def toggle_many_contacts() -> Response:
    """Set states across many contacts; each item succeeds or fails on its own."""
    items = validation.array_of_objects(validation.json_body())
    types = {row["id"] for row in store().subscription_types(project_id())}
    results = []
    stamp = now_stamp()
    with store().transaction():
        for index, item in enumerate(items):
            results.append({"index": index, **toggle_one(item, types, stamp)})
    failed = sum(1 for result in results if "error" in result)
    return jsonify(results=results, succeeded=len(results) - failed, failed=failed)


def toggle_one(item: Any, types: set[int], stamp: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {
            "subscription_id": None,
            "error": {
                "code": "parameter_invalid_format",
                "message": "Each item must be an object.",
            },
        }
    sub_id = item.get("subscription_id")
    echo: dict[str, Any] = {
        "subscription_id": sub_id if validation.is_int(sub_id) else None,
        "external_id": item["external_id"] if isinstance(item.get("external_id"), str) else None,
        "anonymous_id": item["anonymous_id"] if isinstance(item.get("anonymous_id"), str) else None,
    }

    def error(code: str, message: str) -> dict[str, Any]:
        return {**echo, "error": {"code": code, "message": message}}

    if not validation.is_int(sub_id):
        return error("parameter_invalid_format", "subscription_id must be an integer.")
    state = item.get("state")
    if not validation.is_int(state) or state not in (0, 1, 2):
        return error("parameter_invalid_format", "state must be 0, 1 or 2.")
    try:
        external_id, anonymous_id = validation.identity(item)
    except (LookupError, ValueError) as bad:
        return error("parameter_missing", str(bad))
    pid = project_id()
    contact = (store().contact_by_external_id(pid, external_id) if external_id else None) or (
        store().contact_by_anonymous_id(pid, anonymous_id) if anonymous_id else None
    )
    if contact is None:
        return error("resource_missing", "Contact identity could not be resolved.")
    if sub_id not in types:
        return error("resource_missing", f"Subscription type {sub_id} was not found.")
    store().set_state(contact["id"], sub_id, state, stamp)
    return {**echo, "state": state}


# -- subscription types (secret key) --------------------------------------------------------


@bp.get("/subscriptions")
@endpoint(scopes=SECRET)
def list_subscription_types() -> Response:
    items = [subscription_type_json(row) for row in store().subscription_types(project_id())]
    return jsonify(page(items, request.args, searchable=SEARCHABLE))


@bp.post("/subscriptions")
@endpoint(scopes=SECRET, role="admin")
def create_subscription_type() -> Response:
    body = validation.json_body()
    errors = subscription_type_errors(body, creating=True)
    if errors:
        raise validation.failed(errors)
    with store().transaction():
        new_id = store().insert_subscription_type(
            project_id(), body["name"], body["channel"], body.get("is_public", False), now_stamp()
        )
    return jsonify(subscription_type_json(store().subscription_type(project_id(), new_id)))


@bp.get("/subscriptions/<int:subscription_id>")
@endpoint(scopes=SECRET)
def get_subscription_type(subscription_id: int) -> Response:
    return jsonify(subscription_type_json(subscription_type_or_404(subscription_id)))


@bp.patch("/subscriptions/<int:subscription_id>")
@endpoint(scopes=SECRET, role="admin")
def update_subscription_type(subscription_id: int) -> Response:
    subscription_type_or_404(subscription_id)
    body = validation.json_body()
    if isinstance(body, dict) and "channel" in body:
        raise ApiError(
            "parameter_unknown", "A subscription type's channel cannot be changed.", param="channel"
        )
    errors = subscription_type_errors(body, creating=False)
    if errors:
        raise validation.failed(errors)
    with store().transaction():
        store().update_subscription_type(
            subscription_id, body["name"], body["is_public"], now_stamp()
        )
    return jsonify(subscription_type_json(store().subscription_type(project_id(), subscription_id)))


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


def subscription_type_errors(body: Any, *, creating: bool) -> list[dict[str, str]]:
    if not isinstance(body, dict):
        return [validation.field_error("body", "parameter_invalid_format", "Must be an object.")]
    errors = []
    name = body.get("name")
    if "name" not in body:
        errors.append(validation.field_error("name", "parameter_missing", "Required."))
    elif not isinstance(name, str) or not 1 <= len(name.strip()) <= 255:
        errors.append(
            validation.field_error(
                "name", "parameter_invalid_format", "Must be a string of 1 to 255 characters."
            )
        )
    if creating:
        if "channel" not in body:
            errors.append(validation.field_error("channel", "parameter_missing", "Required."))
        elif body["channel"] not in CHANNELS:
            errors.append(
                validation.field_error(
                    "channel", "parameter_invalid_format", f"Must be one of {', '.join(CHANNELS)}."
                )
            )
    if "is_public" not in body and not creating:
        errors.append(validation.field_error("is_public", "parameter_missing", "Required."))
    elif "is_public" in body and not isinstance(body["is_public"], bool):
        errors.append(
            validation.field_error(
                "is_public", "parameter_invalid_format", "Must be true or false."
            )
        )
    return errors


# -- events ---------------------------------------------------------------------------------


@bp.post("/events")
@endpoint(scopes=EITHER)
def track_events() -> Response:
    """Accept 1-100 events (or one bare event, as the older guide shows); queued: 204."""
    body = validation.json_body()
    events = [body] if isinstance(body, dict) else validation.array_of_objects(body)
    errors = []
    for index, event in enumerate(events):
        where = f"[{index}]"
        if not isinstance(event, dict):
            errors.append(
                validation.field_error(where, "parameter_invalid_format", "Must be an object.")
            )
            continue
        if not isinstance(event.get("name"), str) or not event["name"]:
            errors.append(
                validation.field_error(
                    f"{where}.name", "parameter_missing", "A non-empty name is required."
                )
            )
        try:
            validation.identity(event)
        except (LookupError, ValueError) as bad:
            errors.append(validation.field_error(where, "parameter_missing", str(bad)))
        for field in ("data", "user"):
            if event.get(field) is not None and not isinstance(event[field], dict):
                errors.append(
                    validation.field_error(
                        f"{where}.{field}", "parameter_invalid_format", "Must be an object."
                    )
                )
        if event.get("created_at") is not None and not isinstance(event["created_at"], str):
            errors.append(
                validation.field_error(
                    f"{where}.created_at", "parameter_invalid_format", "Must be an ISO 8601 string."
                )
            )
    if errors:
        raise validation.failed(errors)
    stamp = now_stamp()
    with store().transaction():
        for event in events:
            store().insert_event(project_id(), event, stamp)
    log.info(
        "accepted %d event(s): %s",
        len(events),
        ", ".join(sorted({escaped(event["name"]) for event in events})),
    )
    return no_content()
