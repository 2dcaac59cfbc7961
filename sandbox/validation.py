"""Reading and checking request bodies: malformed JSON is 400, wrong shapes are 422."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import request
from pydantic_core import from_json

from .errors import ApiError, field_error

MAX_ITEMS = 100
INT64_MAX = 2**63 - 1
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def json_body() -> Any:
    """The request's JSON, or 400. Refused as malformed: nesting deeper than 200 levels (a
    recursive parser would overflow), lone surrogates (no store can encode them), NaN and
    numbers too large for a float (no JSON client can read them back)."""
    try:
        return parse_json(request.get_data(cache=True) or b"")
    except ValueError:
        raise ApiError(
            "parameter_invalid_format", "The request body is not valid JSON.", param="body"
        ) from None


def parse_json(data: bytes | str) -> Any:
    """Parse JSON the way every body and cursor is parsed; ValueError if it is not acceptable."""
    value = from_json(data, allow_inf_nan=False)
    # 1e400 parses as inf; serialising with allow_nan=False finds it wherever it is nested.
    json.dumps(value, allow_nan=False)
    return value


def failed(errors: list[dict[str, str]]) -> ApiError:
    return ApiError("validation_failed", "The request body failed validation.", errors=errors)


def array_of_objects(body: Any) -> list[dict[str, Any]]:
    """A batch body: a bare array of 1 to 100 objects, or the whole request is refused."""
    if not isinstance(body, list) or not 1 <= len(body) <= MAX_ITEMS:
        raise failed(
            [
                field_error(
                    "body", "parameter_invalid_format", "Must be a JSON array of 1 to 100 items."
                )
            ]
        )
    return body


def is_int(value: Any, low: int = -INT64_MAX, high: int = INT64_MAX) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def toggles(body: Any) -> list[tuple[int, int]]:
    """Validate `[{"subscription_id", "state"}, …]`; every bad item is named in errors[]."""
    items = array_of_objects(body)
    errors = []
    for index, item in enumerate(items):
        where = f"[{index}]"
        if not isinstance(item, dict):
            errors.append(field_error(where, "parameter_invalid_format", "Must be an object."))
            continue
        if "subscription_id" not in item:
            errors.append(field_error(f"{where}.subscription_id", "parameter_missing", "Required."))
        elif not is_int(item["subscription_id"]):
            errors.append(
                field_error(
                    f"{where}.subscription_id", "parameter_invalid_format", "Must be an integer."
                )
            )
        if "state" not in item:
            errors.append(field_error(f"{where}.state", "parameter_missing", "Required."))
        elif not is_int(item["state"]) or item["state"] not in (0, 1, 2):
            errors.append(
                field_error(
                    f"{where}.state",
                    "parameter_invalid_format",
                    "Must be 0 (unsubscribed), 1 (subscribed) or 2 (opted in).",
                )
            )
    if errors:
        raise failed(errors)
    return [(item["subscription_id"], item["state"]) for item in items]


def optional_string(item: dict[str, Any], field: str, max_length: int) -> str | None:
    """Return the string or None; raise ValueError with a message when it is not acceptable."""
    value = item.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} must be a string.")
    if len(value) > max_length:
        raise ValueError(f"{field} must be at most {max_length} characters.")
    return value


def identity(item: dict[str, Any]) -> tuple[str | None, str | None]:
    """The external_id and anonymous_id of a batch item; one of them is required."""
    external_id = optional_string(item, "external_id", 255) or None
    anonymous_id = optional_string(item, "anonymous_id", 255) or None
    if external_id is None and anonymous_id is None:
        raise LookupError("One of external_id or anonymous_id is required.")
    return external_id, anonymous_id


def phone_number(value: str) -> str:
    """E.164 is preferred; spaces, dashes, dots and brackets are removed, 00 becomes +."""
    compact = re.sub(r"[\s().-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not E164.match(compact):
        raise ValueError("phone must be an international number in E.164 form, like +61400123456.")
    return compact


def contact_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The profile fields of an upsert item, checked and normalised (ValueError on a bad one)."""
    fields: dict[str, Any] = {}
    for field, limit in (("email", 320), ("phone", 64), ("timezone", 50), ("locale", 255)):
        if field in item:
            fields[field] = optional_string(item, field, limit)
    if fields.get("email") is not None and not EMAIL.match(fields["email"]):
        raise ValueError("email must be a valid email address.")
    if fields.get("phone") is not None:
        fields["phone"] = phone_number(fields["phone"])
    if "data" in item:
        if item["data"] is not None and not isinstance(item["data"], dict):
            raise ValueError("data must be an object or null.")
        fields["data"] = item["data"]
    return fields
