"""Spotzee's error envelope: RFC 7807 Problem Details plus Spotzee's fields, as the API sends it."""

from __future__ import annotations

from typing import Any

from flask import Response, g

from .models import ErrorResponse

PROBLEM_JSON = "application/problem+json"

# The catalogue of section 5.2: code -> (HTTP status, title). Titles the docs give are used
# verbatim; the others are the sentence-cased code, as the contract suggests.
CATALOGUE: dict[str, tuple[int, str]] = {
    "resource_missing": (404, "Resource missing"),
    "resource_already_exists": (409, "Resource already exists"),
    "state_conflict": (409, "State conflict"),
    "parameter_missing": (400, "Parameter missing"),
    "parameter_invalid_empty": (400, "Parameter invalid empty"),
    "parameter_invalid_format": (400, "Parameter invalid format"),
    "parameter_unknown": (400, "Parameter unknown"),
    "validation_failed": (422, "Request validation failed"),
    "authentication_required": (401, "Authentication required"),
    "permission_denied": (403, "Permission denied"),
    "idempotency_key_mismatch": (409, "Idempotency key mismatch"),
    "idempotency_key_invalid": (400, "Idempotency key invalid"),
    "idempotency_in_progress": (409, "Idempotency in progress"),
    "rate_limited": (429, "Rate limit exceeded"),
    "version_unsupported": (400, "Version unsupported"),
    "version_required": (400, "Version required"),
    "webhook_signature_invalid": (400, "Webhook signature invalid"),
    "quota_exceeded": (402, "Quota exceeded"),
    "service_unavailable": (503, "Service unavailable"),
    "internal_error": (500, "Internal error"),
}

# Which code a bare HTTP status (an injected fault, a routing error) is reported with.
CODE_FOR_STATUS = {
    400: "parameter_invalid_format",
    401: "authentication_required",
    402: "quota_exceeded",
    403: "permission_denied",
    404: "resource_missing",
    405: "resource_missing",
    409: "state_conflict",
    413: "parameter_invalid_format",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An error the API answers with; raised anywhere while serving a request."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        param: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or CATALOGUE[code][0]
        self.param = param
        self.errors = errors
        self.headers = headers or {}


def problem(error: ApiError) -> Response:
    """Render an ApiError as the envelope (`ErrorResponse`), carrying this request's id."""
    title = CATALOGUE.get(error.code, (error.status, error.code.replace("_", " ").capitalize()))[1]
    fields: dict[str, Any] = {
        "status": "error",
        "code": error.code,
        "title": title,
        "message": error.message,
        "error": error.message,
        "type": f"https://docs.spotzee.com/main-api/errors#{error.code}",
    }
    optional = {"request_id": g.get("request_id"), "param": error.param, "errors": error.errors}
    fields.update({name: value for name, value in optional.items() if value is not None})
    envelope = ErrorResponse.model_validate(fields).model_dump_json(exclude_unset=True)
    response = Response(envelope, status=error.status, mimetype=PROBLEM_JSON)
    response.headers.update(error.headers)
    return response


def for_status(status: int) -> ApiError:
    """The error an injected fault or a framework-level failure with this status answers."""
    code = CODE_FOR_STATUS.get(status, "internal_error" if status >= 500 else "state_conflict")
    if code == "rate_limited":
        return ApiError(
            code,
            "Rate limit exceeded. Slow down and retry after the period in `Retry-After`.",
            status=status,
            headers={"Retry-After": "1"},
        )
    messages = {
        "service_unavailable": "The service is temporarily unavailable. Please retry shortly.",
        "internal_error": "An unexpected error occurred.",
    }
    return ApiError(
        code, messages.get(code, f"The request failed with status {status}."), status=status
    )


def field_error(param: str, code: str, message: str) -> dict[str, str]:
    """One entry of a validation_failed `errors[]` list."""
    return {"param": param, "code": code, "message": message}
