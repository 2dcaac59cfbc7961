"""The OpenAPI 3.1 document of what the sandbox serves under /api/client.

A test runs schemathesis against the live sandbox with it, so it stays true: every answer
must match the schema and nothing may answer 500.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .pipeline import API_VERSION


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


ERROR_STATUSES = {
    "400": "Malformed request: bad header, JSON or parameter format.",
    "401": "Missing, invalid or expired credential.",
    "403": "Authenticated, but not allowed.",
    "404": "No such resource in this project.",
    "409": "Idempotency conflict.",
    "413": "Body larger than 1 MiB.",
    "422": "Validation failed.",
    "429": "Rate limited; honour Retry-After.",
    "500": "Unexpected error.",
    "503": "Temporarily unavailable; retry.",
}

STANDARD_HEADERS = {
    "X-Request-Id": {"schema": {"type": "string", "pattern": "^req_[0-9A-Z]{26}$"}},
    "Spotzee-Version": {"schema": {"type": "string"}},
}


def responses(status: str, description: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    success: dict[str, Any] = {"description": description, "headers": STANDARD_HEADERS}
    if schema is not None:
        success["content"] = json_content(schema)
    answers = {status: success}
    for code, text in ERROR_STATUSES.items():
        answers[code] = {
            "description": text,
            "headers": STANDARD_HEADERS,
            "content": {"application/problem+json": {"schema": ref("Error")}},
        }
    return answers


HEADER_PARAMS = [
    {
        "name": "Spotzee-Version",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "example": API_VERSION},
    },
]
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
USER_ID = {
    "name": "userId",
    "in": "path",
    "required": True,
    "description": "The contact's external_id, or its numeric id.",
    "schema": {"type": "string", "minLength": 1},
}
SUBSCRIPTION_ID = {
    "name": "subscriptionId",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
PAGINATION = [
    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"}},
    {"name": "page", "in": "query", "required": False, "schema": {"enum": ["next", "prev"]}},
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": -1, "maximum": 100, "default": 25},
    },
    {"name": "sort", "in": "query", "required": False, "schema": {"enum": ["id", "created_at"]}},
    {"name": "direction", "in": "query", "required": False, "schema": {"enum": ["asc", "desc"]}},
]
SECRET_KEY = [{"secretKey": []}]
PUBLISHABLE = [{"publishableKey": [], "contactToken": []}]


def operation(
    summary: str,
    security: list[dict[str, list[str]]],
    answer: tuple[str, str, dict[str, Any] | None],
    *,
    params: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": security,
        "parameters": [*(params or []), *HEADER_PARAMS],
        "responses": responses(*answer),
    }
    if body is not None:
        op["parameters"].append(IDEMPOTENCY)
        op["requestBody"] = {"required": True, "content": json_content(body)}
    return op


def list_of(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["results", "nextCursor", "prevCursor", "limit"],
        "properties": {
            "results": {"type": "array", "items": item},
            "nextCursor": nullable("string"),
            "prevCursor": nullable("string"),
            "limit": {"type": "integer"},
        },
    }


def batch_results(success_field: str, success: dict[str, Any]) -> dict[str, Any]:
    item = {
        "type": "object",
        "required": ["index"],
        "properties": {
            "index": {"type": "integer", "minimum": 0},
            "external_id": nullable("string"),
            "anonymous_id": nullable("string"),
            success_field: success,
            "error": ref("ItemError"),
        },
    }
    return {
        "type": "object",
        "required": ["results", "succeeded", "failed"],
        "properties": {
            "results": {"type": "array", "items": item},
            "succeeded": {"type": "integer"},
            "failed": {"type": "integer"},
        },
    }


TOGGLES = {
    "type": "array",
    "minItems": 1,
    "maxItems": 100,
    "items": {
        "type": "object",
        "required": ["subscription_id", "state"],
        "properties": {
            "subscription_id": {"type": "integer"},
            "state": {"enum": [0, 1, 2]},
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["status", "code", "message", "error"],
        "properties": {
            "status": {"const": "error"},
            "code": {"type": "string"},
            "title": {"type": "string"},
            "message": {"type": "string"},
            "error": {"type": "string"},
            "type": {"type": "string"},
            "request_id": nullable("string"),
            "param": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["param", "code", "message"],
                    "properties": {
                        "param": {"type": "string"},
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    },
    "ItemError": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    },
    "Contact": {
        "type": "object",
        "required": ["id", "project_id", "external_id", "created_at", "updated_at"],
        "properties": {
            "id": {"type": "integer"},
            "project_id": {"type": "integer"},
            "external_id": nullable("string"),
            "anonymous_id": nullable("string"),
            "email": nullable("string"),
            "phone": nullable("string"),
            "timezone": nullable("string"),
            "locale": nullable("string"),
            "data": {"type": "object"},
            "has_push_device": {"type": "boolean"},
            "devices": {"type": "array", "items": {"type": "object"}},
            "created_at": nullable("string"),
            "updated_at": nullable("string"),
        },
    },
    "SubscriptionType": {
        "type": "object",
        "required": ["id", "project_id", "name", "channel", "is_public"],
        "properties": {
            "id": {"type": "integer"},
            "project_id": {"type": "integer"},
            "name": {"type": "string"},
            "channel": {"enum": ["email", "text", "push", "webhook", "in_app"]},
            "is_public": {"type": "boolean"},
            "created_at": nullable("string"),
            "updated_at": nullable("string"),
        },
    },
    "SubscriptionState": {
        "type": "object",
        "required": ["subscription_id", "state", "name", "channel"],
        "properties": {
            "subscription_id": {"type": "integer"},
            "state": {"enum": [0, 1, 2]},
            "name": {"type": "string"},
            "channel": {"type": "string"},
        },
    },
    "ContactSession": {
        "type": "object",
        "required": ["token", "expires_at"],
        "properties": {"token": {"type": "string"}, "expires_at": nullable("string")},
    },
    "UpsertItem": {
        "type": "object",
        "properties": {
            "external_id": {"type": "string"},
            "anonymous_id": {"type": "string"},
            "email": nullable("string"),
            "phone": nullable("string"),
            "timezone": nullable("string", maxLength=50),
            "locale": nullable("string", maxLength=255),
            "data": nullable("object"),
        },
    },
}


@cache
def document() -> dict[str, Any]:
    contact, sub_type, state = ref("Contact"), ref("SubscriptionType"), ref("SubscriptionState")
    paths = {
        "/users/{userId}/sessions": {
            "post": operation(
                "Mint a contact session token (15 minutes, not refreshable)",
                SECRET_KEY,
                ("200", "The token and its expiry.", ref("ContactSession")),
                params=[USER_ID],
                body={},
            )
        },
        "/users/me": {
            "get": operation(
                "Get the contact bound to the session token",
                PUBLISHABLE,
                ("200", "The contact.", contact),
            )
        },
        "/subscriptions/me": {
            "patch": operation(
                "Set the token's contact's states on public subscription types",
                PUBLISHABLE,
                ("200", "Every public type with the contact's state.", list_of(state)),
                body=TOGGLES,
            )
        },
        "/users/{userId}": {
            "get": operation(
                "Get a contact", SECRET_KEY, ("200", "The contact.", contact), params=[USER_ID]
            ),
            "delete": operation(
                "Delete a contact", SECRET_KEY, ("204", "Deleted.", None), params=[USER_ID]
            ),
        },
        "/users/batch": {
            "post": operation(
                "Upsert 1-100 contacts synchronously",
                SECRET_KEY,
                ("200", "A result for each item.", batch_results("user", contact)),
                body={"type": "array", "minItems": 1, "maxItems": 100, "items": ref("UpsertItem")},
            )
        },
        "/users/{userId}/subscriptions": {
            "get": operation(
                "List a contact's states on every subscription type",
                SECRET_KEY,
                ("200", "A page of states.", list_of(state)),
                params=[USER_ID, *PAGINATION],
            ),
            "patch": operation(
                "Set a contact's subscription states",
                SECRET_KEY,
                ("200", "The refreshed contact.", contact),
                params=[USER_ID],
                body=TOGGLES,
            ),
        },
        "/subscriptions": {
            "get": operation(
                "List subscription types",
                SECRET_KEY,
                ("200", "A page of types.", list_of(sub_type)),
                params=PAGINATION,
            ),
            "post": operation(
                "Create a subscription type",
                SECRET_KEY,
                ("200", "The new type.", sub_type),
                body={
                    "type": "object",
                    "required": ["name", "channel"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "channel": {"enum": ["email", "text", "push", "webhook", "in_app"]},
                        "is_public": {"type": "boolean", "default": False},
                    },
                },
            ),
        },
        "/subscriptions/{subscriptionId}": {
            "get": operation(
                "Get a subscription type",
                SECRET_KEY,
                ("200", "The type.", sub_type),
                params=[SUBSCRIPTION_ID],
            ),
            "patch": operation(
                "Rename a subscription type or change its visibility",
                SECRET_KEY,
                ("200", "The updated type.", sub_type),
                params=[SUBSCRIPTION_ID],
                body={
                    "type": "object",
                    "required": ["name", "is_public"],
                    "properties": {
                        "name": {"type": "string", "minLength": 1},
                        "is_public": {"type": "boolean"},
                    },
                },
            ),
        },
        "/subscriptions/batch": {
            "post": operation(
                "Set states across many contacts",
                SECRET_KEY,
                ("200", "A result for each item.", batch_results("state", {"enum": [0, 1, 2]})),
                body={
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 100,
                    "items": {
                        "type": "object",
                        "required": ["subscription_id", "state"],
                        "properties": {
                            "subscription_id": {"type": "integer"},
                            "state": {"enum": [0, 1, 2]},
                            "external_id": {"type": "string"},
                            "anonymous_id": {"type": "string"},
                        },
                    },
                },
            )
        },
        "/events": {
            "post": operation(
                "Track events",
                [*SECRET_KEY, {"publishableKey": []}],
                ("204", "Queued.", None),
                body={
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 100,
                    "items": {
                        "type": "object",
                        "required": ["name"],
                        "properties": {
                            "name": {"type": "string", "minLength": 1},
                            "external_id": {"type": "string"},
                            "anonymous_id": {"type": "string"},
                            "data": {"type": "object"},
                        },
                    },
                },
            )
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Spotzee API (local sandbox)",
            "version": API_VERSION,
            "description": "The subset of the Spotzee Main API that the sandbox serves.",
        },
        "servers": [{"url": "/api/client"}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "secretKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A secret key, sk_…, server side only.",
                },
                "publishableKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A publishable key, pk_…, browser safe.",
                },
                "contactToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Spotzee-Contact-Token",
                },
            },
        },
    }
