"""Reading and checking what a client sends against the shapes in `models`: malformed JSON is
400, a body of the wrong shape is 422 naming every bad field, a bad query parameter is 400."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from flask import g, request
from pydantic import BaseModel, RootModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails, from_json

from .errors import ApiError, field_error
from .models import INT64_MAX, VARIANTS, Batch, ErrorCode

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=RootModel[Any])

# Clearer words than pydantic's for the failures a client meets most.
MESSAGES = {
    "missing": "Required.",
    "model_type": "Must be an object.",
    "list_type": "Must be a JSON array.",
}
ANY_BATCH: TypeAdapter[list[Any]] = TypeAdapter(Batch[Any])
CODES = frozenset(code.value for code in ErrorCode)


def json_body() -> Any:
    """The request's JSON, or 400. Refused as malformed: nesting deeper than 200 levels (a
    recursive parser would overflow), lone surrogates (no store can encode them), NaN and
    numbers too large for a float (no JSON client can read them back)."""
    if "json_body" in g:
        return g.json_body
    try:
        g.json_body = parse_json(request.get_data(cache=True) or b"")
        return g.json_body
    except ValueError:
        raise ApiError(
            "parameter_invalid_format", "The request body is not valid JSON.", param="body"
        ) from None


def parse_json(data: bytes | str) -> Any:
    """Parse JSON the way every body is parsed; ValueError if it is not acceptable."""
    value = from_json(data, allow_inf_nan=False)
    # 1e400 parses as inf; serialising with allow_nan=False finds it wherever it is nested.
    json.dumps(value, allow_nan=False)
    return value


def body(shape: type[BaseModel], *, each_item: bool = False) -> Any:
    """The JSON body as `shape` (a root model gives its root), or 422 validation_failed
    listing every bad field. With `each_item`, the items of a batch succeed or fail on their
    own, so only its outer shape (1 to 100 items) is checked here and they are returned raw."""
    try:
        if each_item:
            return ANY_BATCH.validate_python(json_body())
        valid = shape.model_validate(json_body())
    except ValidationError as invalid:
        raise failed([error_entry(detail) for detail in invalid.errors()]) from None
    return valid.root if isinstance(valid, RootModel) else valid


def item(shape: type[R], value: Any) -> tuple[Any, dict[str, str] | None]:
    """One batch item as `shape`, or None and the first thing wrong with it."""
    try:
        return shape.model_validate(value).root, None
    except ValidationError as invalid:
        first = error_entry(invalid.errors()[0])
        where = "" if first["param"] == "body" else f"{first['param']}: "
        return None, {"code": first["code"], "message": where + first["message"]}


def query(shape: type[M], args: Mapping[str, str]) -> M:
    """Query parameters as `shape`, or 400 parameter_invalid_format naming the first bad one."""
    try:
        return shape.model_validate(dict(args))
    except ValidationError as invalid:
        first = error_entry(invalid.errors()[0])
        raise ApiError("parameter_invalid_format", first["message"], param=first["param"]) from None


def failed(errors: list[dict[str, str]]) -> ApiError:
    return ApiError("validation_failed", "The request body failed validation.", errors=errors)


def error_entry(detail: ErrorDetails) -> dict[str, str]:
    """One pydantic error as an `errors[]` entry: `param` in Spotzee's form (`[0].state`,
    `body` for the whole), a code from the catalogue, and a message a person can act on."""
    param = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}"
        for part in detail["loc"]
        if part not in VARIANTS
    ).lstrip(".")
    kind = detail["type"]
    if kind in CODES:
        code = kind  # a code the models raise themselves (one identifier is required)
    elif kind == "missing":
        code = "parameter_missing"
    elif kind == "string_too_short" and detail.get("input") == "":
        code = "parameter_invalid_empty"
    else:
        code = "parameter_invalid_format"
    if kind == "value_error":
        message = str(detail.get("ctx", {}).get("error", detail["msg"]))
    else:
        message = MESSAGES.get(kind, detail["msg"])
    return field_error(param or "body", code, message)


def is_int(value: Any, low: int = -INT64_MAX, high: int = INT64_MAX) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
