"""The OpenAPI 3.1 document of what the sandbox serves under /api/client, derived from the
operation table (`api.operations`) and the models of `models`: the operationIds, schema names,
security schemes and query parameters are those of Spotzee's generated SDK.

A schemathesis test keeps it true against a live sandbox, and a client generated from it
round-trips every operation.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

from .api import operations
from .models import ErrorResponse, PageQuery
from .operations import PUBLIC, SECRET, Operation
from .pipeline import API_VERSION

REF = "#/components/schemas/{model}"

# Every status an operation may answer with the envelope: the SDK declares the first eight on
# every operation; the contract adds 413 (a body over 1 MiB) and 503 (service_unavailable).
ERROR_STATUSES = {
    "400": "Malformed request: bad parameters, body, or version header.",
    "401": "Authentication required, or the key or token is invalid.",
    "403": "Authenticated, but the key's scope or role does not allow this.",
    "404": "No such resource in this project.",
    "409": "Conflict: an Idempotency-Key in progress or reused for another request.",
    "413": "The body is larger than 1 MiB.",
    "422": "The body failed validation; `errors` names every bad field.",
    "429": "Rate limited; honour Retry-After.",
    "500": "Unexpected error; report the request_id.",
    "503": "Temporarily unavailable; retry.",
}
RESPONSE_HEADERS = {
    "X-Request-Id": {"schema": {"type": "string", "pattern": "^req_[0-9A-Z]{26}$"}},
    "Spotzee-Version": {"schema": {"type": "string"}},
}
PATH_PARAMETERS = {
    "userId": {
        "description": "The user's external_id, or its numeric id; the route resolves both.",
        "schema": {"type": "string"},
    },
    "subscriptionId": {
        "description": "Numeric subscription-type identifier.",
        "schema": {"type": "integer"},
    },
}
SECURITY_SCHEMES = {
    "secretKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A secret key, sk_…: server side only.",
    },
    "publishableKey": {
        "type": "http",
        "scheme": "bearer",
        "description": "A publishable key, pk_…: safe in a browser, on an allow-list only.",
    },
    "userToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Spotzee-User-Token",
        "description": "A contact session token from POST /users/{userId}/sessions. The "
        "earlier header name, X-Spotzee-Contact-Token, is accepted too.",
    },
}


class SpotzeeSchema(GenerateJsonSchema):
    """Pydantic's JSON Schema, written the way the SDK's spec reads."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False  # a property's name is its title

    def tagged_union_schema(self, schema: core_schema.TaggedUnionSchema) -> dict[str, Any]:
        # An upsert or event with both identifiers matches both variants: anyOf, not oneOf.
        union = super().tagged_union_schema(schema)
        union["anyOf"] = union.pop("oneOf")
        union.pop("discriminator", None)
        return union

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        # "default": null says nothing, and is wrong for an optional field that is never null.
        result = super().default_schema(schema)
        if result.get("default", ...) is None:
            del result["default"]
        return result


@cache
def document() -> dict[str, Any]:
    """The whole document; built once."""
    table = list(operations)
    schemas = component_schemas(table)
    paths: dict[str, dict[str, Any]] = {}
    for operation in table:
        paths.setdefault(operation.path, {})[operation.method.lower()] = describe(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Spotzee API (local sandbox)",
            "version": API_VERSION,
            "description": "The subset of Spotzee's Main API that the sandbox serves, in the "
            "words of Spotzee's generated SDK.",
        },
        "servers": [{"url": "/api/client"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def component_schemas(table: list[Operation]) -> dict[str, Any]:
    """Every model the operations name, and every model and enum those refer to."""
    models: dict[type[BaseModel], JsonSchemaMode] = {ErrorResponse: "serialization"}
    for operation in table:
        for model, mode in ((operation.body, "validation"), (operation.query, "validation")):
            if model is not None:
                models[model] = mode
        if operation.answer is not None:
            models[operation.answer] = "serialization"
    _, found = models_json_schema(
        list(models.items()), ref_template=REF, schema_generator=SpotzeeSchema
    )
    schemas = found["$defs"]
    schemas.pop(PageQuery.__name__, None)  # its fields become query parameters, not a schema
    return dict(sorted(schemas.items()))


def describe(operation: Operation) -> dict[str, Any]:
    described: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "security": security(operation),
        "parameters": [
            *path_parameters(operation),
            *(query_parameters(operation.query) if operation.query else []),
        ],
        "responses": responses(operation),
    }
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(operation.body)}},
        }
    return described


def security(operation: Operation) -> list[dict[str, list[str]]]:
    if operation.scopes == SECRET:
        return [{"secretKey": []}]
    if operation.scopes == PUBLIC:
        return [{"publishableKey": [], **({"userToken": []} if operation.token else {})}]
    return [{"secretKey": []}, {"publishableKey": []}]


def path_parameters(operation: Operation) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, **PATH_PARAMETERS[name]}
        for name in PATH_PARAMETERS
        if f"{{{name}}}" in operation.path
    ]


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Each field of the query model as an optional query parameter."""
    properties = model.model_json_schema(ref_template=REF, schema_generator=SpotzeeSchema)[
        "properties"
    ]
    parameters = []
    for name, schema in properties.items():
        description = schema.pop("description", None)
        parameter = {"name": name, "in": "query", "required": False, "schema": schema}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def responses(operation: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"headers": RESPONSE_HEADERS}
    if operation.answer is None:
        answers = {"204": {"description": "Done; no body.", **success}}
    else:
        answers = {
            "200": {
                "description": f"A {operation.answer.__name__}.",
                **success,
                "content": {"application/json": {"schema": ref(operation.answer)}},
            }
        }
    for status, text in ERROR_STATUSES.items():
        answers[status] = {
            "description": text,
            "headers": RESPONSE_HEADERS,
            "content": {"application/problem+json": {"schema": ref(ErrorResponse)}},
        }
    return answers


def ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}
