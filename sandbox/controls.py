"""Test controls under /_sandbox/: clock, faults, seed and reset, and the request log.

Registered only when SANDBOX_CONTROLS=1; otherwise every /_sandbox/ URL is a 404. They answer
only requests no other web site can make: see `same_origin_only`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, request

from . import fixture, validation
from .answers import no_content
from .clock import iso
from .errors import ApiError, field_error
from .faults import Fault
from .state import sandbox_state, store

bp = Blueprint("controls", __name__, url_prefix="/_sandbox")

LATEST = datetime(9000, 1, 1, tzinfo=UTC).timestamp()
# The names a browser uses for a sandbox on this machine; SANDBOX_HOST adds its own.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@bp.before_request
def same_origin_only() -> None:
    """Refuse what a web page in the tester's browser could send. A page may POST a form or
    text/plain to any address without asking, so every POST must say application/json (which
    needs a CORS preflight, and the controls grant none). A page on a domain that resolves to
    127.0.0.1 (DNS rebinding) sends its own name as Host, so only local names are accepted."""
    hostname = urlsplit(f"//{request.host}").hostname or ""
    if hostname not in LOCAL_HOSTS | current_app.config["CONTROL_HOSTS"]:
        raise ApiError(
            "permission_denied",
            "The test controls answer only to a Host that names the sandbox itself.",
            param="Host",
        )
    if request.method == "POST" and request.mimetype != "application/json":
        raise ApiError(
            "parameter_invalid_format",
            "The test controls take JSON only: send Content-Type: application/json.",
            status=415,
            param="Content-Type",
        )


@bp.get("/clock")
def read_clock() -> Response:
    clock = sandbox_state().clock
    return jsonify(now=iso(clock.now()), unix=clock.now(), offset_seconds=clock.offset)


@bp.post("/clock")
def advance_clock() -> Response:
    body = validation.json_body()
    seconds = body.get("advance_seconds") if isinstance(body, dict) else None
    number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    # Past the last year a timestamp can be written in, every answer would fail.
    if not number or not 0 <= seconds <= LATEST - sandbox_state().clock.now():
        raise validation.failed(
            [
                field_error(
                    "advance_seconds",
                    "parameter_invalid_format",
                    "Must be a number of seconds, 0 or more, that keeps the clock before 9000.",
                )
            ]
        )
    sandbox_state().clock.advance(seconds)
    return read_clock()


@bp.get("/faults")
def list_faults() -> Response:
    return jsonify(faults=sandbox_state().faults.pending())


@bp.post("/faults")
def add_fault() -> Response:
    body = validation.json_body()
    fault, errors = parse_fault(body)
    if errors:
        raise validation.failed(errors)
    sandbox_state().faults.add(fault)
    return jsonify(faults=sandbox_state().faults.pending()), 201


@bp.delete("/faults")
def clear_faults() -> Response:
    sandbox_state().faults.clear()
    return no_content()


def parse_fault(body: Any) -> tuple[Fault, list[dict[str, str]]]:
    errors: list[dict[str, str]] = []
    if not isinstance(body, dict):
        body = {}
        errors.append(field_error("body", "parameter_invalid_format", "Must be an object."))

    def bad(param: str, message: str) -> None:
        errors.append(field_error(param, "parameter_invalid_format", message))

    method = body.get("method")
    if method is not None and not isinstance(method, str):
        bad("method", "Must be an HTTP method name.")
    path = None
    if body.get("path") is not None:
        try:
            path = re.compile(body["path"])
        except (re.error, TypeError):
            bad("path", "Must be a regular expression.")
    status = body.get("status")
    if status is not None and not (validation.is_int(status) and 400 <= status <= 599):
        bad("status", "Must be an HTTP error status from 400 to 599.")
    latency = body.get("latency_ms", 0)
    if not (validation.is_int(latency) and 0 <= latency <= 60_000):
        bad("latency_ms", "Must be 0 to 60000 milliseconds.")
    drop = body.get("drop", False)
    if not isinstance(drop, bool):
        bad("drop", "Must be true or false.")
    after = body.get("after", False)
    if not isinstance(after, bool):
        bad("after", "Must be true or false.")
    count = body.get("count", 1)
    if not (validation.is_int(count) and count >= 1):
        bad("count", "Must be 1 or more.")
    fault = Fault(
        method=method.upper() if isinstance(method, str) else None,
        path=path,
        status=status if isinstance(status, int) else None,
        latency_ms=latency if isinstance(latency, int) else 0,
        drop=drop is True,
        after=after is True,
        remaining=count if isinstance(count, int) else 1,
    )
    return fault, errors


@bp.post("/seed")
def seed() -> Response:
    """Replace all state with the given fixture; refuse it whole if anything is wrong."""
    body = validation.json_body()
    errors = fixture.problems(body)
    if errors:
        raise validation.failed(errors)
    load(body)
    return jsonify(seeded=summary(body))


@bp.post("/reset")
def reset() -> Response:
    """Back to the demo fixture, real time, no faults and an empty request log."""
    demo = fixture.demo_fixture()
    load(demo)
    return jsonify(seeded=summary(demo))


@bp.get("/requests")
def requests_log() -> Response:
    entries = [{**entry, "at": iso(entry["at"])} for entry in sandbox_state().requests.entries()]
    return jsonify(requests=entries)


def load(data: dict[str, Any]) -> None:
    state = sandbox_state()
    state.clock.reset()
    store().replace_all(data, state.clock.now())
    state.reset()


def summary(data: dict[str, Any]) -> dict[str, int]:
    projects = data["projects"]
    return {
        "projects": len(projects),
        "subscriptions": sum(len(p.get("subscriptions", [])) for p in projects),
        "contacts": sum(len(p.get("contacts", [])) for p in projects),
    }
