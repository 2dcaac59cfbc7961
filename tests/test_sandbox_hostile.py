"""Sandbox: hostile input gets a 4xx in Spotzee's envelope, never a 500, and changes nothing."""

from __future__ import annotations

import base64
import logging
import secrets
import tracemalloc
from collections.abc import Iterator

import pytest
import requests

from sandbox.testing import running_sandbox
from tests.support import JANE, PUBLISHABLE_KEY, Sandbox


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox for the tests that only send what must be refused and check that nothing
    changed: starting one per case would cost more than the cases."""
    database = tmp_path_factory.mktemp("hostile") / "s.sqlite3"
    with running_sandbox(database) as url, requests.Session() as http:
        yield Sandbox(url=url, http=http)


DEEP = b"[" * 1000 + b"]" * 1000  # 1,000 levels in 2 KB
DEEP_OBJECT = b'{"a":' * 1000 + b"1" + b"}" * 1000


def assert_refused_as_malformed(response, param: str = "body") -> None:
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["param"]) == ("parameter_invalid_format", param)


def send(sandbox, method: str, path: str, body: bytes):
    headers = {"Content-Type": "application/json"}
    if path.endswith("/me"):
        return sandbox.call(
            method, path, key=PUBLISHABLE_KEY, token=sandbox.mint(), data=body, headers=headers
        )
    return sandbox.call(method, path, data=body, headers=headers)


BODY_ENDPOINTS = [
    ("PATCH", "/subscriptions/me"),
    ("PATCH", f"/users/{JANE}/subscriptions"),
    ("POST", "/users/batch"),
    ("POST", "/subscriptions/batch"),
    ("POST", "/subscriptions"),
    ("PATCH", "/subscriptions/7"),
    ("POST", "/events"),
]


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_deeply_nested_json_is_400(shared, method, path, body) -> None:
    before = shared.states()
    assert_refused_as_malformed(send(shared, method, path, body))
    nested_item = b'[{"name": "x", "external_id": "a", "data": ' + DEEP + b"}]"
    assert_refused_as_malformed(send(shared, method, path, nested_item))
    assert shared.states() == before


@pytest.mark.parametrize(
    "body",
    [
        b'[{"subscription_id": 7, "state": 0, "note": "\\ud800"}]',
        b'[{"subscription_id": 7, "state": 0, "note": "a\\udfffb"}]',
        b'[{"external_id": "\\ud83d", "name": "x", "subscription_id": 7, "state": 0}]',
        b'{"name": "\\udc00", "channel": "email", "is_public": true}',
    ],
)
@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_lone_surrogates_in_any_string_are_400(shared, method, path, body) -> None:
    before = shared.states()
    assert_refused_as_malformed(send(shared, method, path, body))
    assert shared.states() == before


@pytest.mark.parametrize(
    "body",
    [
        b'[{"external_id": "x", "name": "n", "data": {"n": NaN}}]',
        b'[{"external_id": "x", "name": "n", "data": {"n": 1e400}}]',
        b'[{"external_id": "x", "name": "n", "data": {"n": -Infinity}}]',
        b"\xff\xfe[]",
    ],
)
def test_numbers_no_client_can_read_back_and_bad_utf8_are_400(shared, body) -> None:
    for path in ("/users/batch", "/events"):
        assert_refused_as_malformed(send(shared, "POST", path, body))
    assert shared.call("GET", "/users/x").status_code == 404


@pytest.mark.parametrize(
    "decoded",
    [DEEP, DEEP_OBJECT, b'{"id": 1e400}', b'{"id": "\\ud800"}', b'{"id": 10' + b"0" * 5000 + b"}"],
    ids=["arrays", "objects", "huge-float", "surrogate", "huge-int"],
)
@pytest.mark.parametrize("path", ["/subscriptions", f"/users/{JANE}/subscriptions"])
def test_a_hostile_pagination_cursor_is_400(shared, decoded, path) -> None:
    cursor = base64.urlsafe_b64encode(decoded).decode().rstrip("=")
    response = shared.call("GET", path, params={"cursor": cursor})
    assert_refused_as_malformed(response, "cursor")


@pytest.mark.parametrize("name", ["clock", "faults", "seed"])
def test_the_controls_refuse_hostile_json_too(shared, name) -> None:
    for body in (DEEP, b'{"advance_seconds": 1e400}', b'{"path": "\\ud800"}'):
        response = shared.http.post(
            f"{shared.url}/_sandbox/{name}",
            data=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 400, response.text
    assert shared.control("GET", "clock").json()["offset_seconds"] == 0
    assert shared.control("GET", "faults").json()["faults"] == []


FORGED = "\n2026-05-01 12:00:00 INFO sandbox.api GET /api/client/users/me 200 0.1ms req_FORGED"


def test_log_lines_cannot_be_forged(sandbox, caplog) -> None:
    """A path, a method or an event name is escaped in the log: no client-sent newline,
    carriage return, line separator or terminal escape reaches a line."""
    caplog.set_level(logging.DEBUG)
    sandbox.http.get(f"{sandbox.api}/users/x%0a2026-05-01%0d%E2%80%A8INFO%1b[2J forged", timeout=5)
    sandbox.call("GET", "/users/a\\nb")
    sandbox.call(
        "POST", "/events", json=[{"name": f"signed_up{FORGED}\u2028x", "external_id": JANE}]
    )
    messages = [record.getMessage() for record in caplog.records]
    assert any("x\\n2026-05-01\\r\\u2028INFO\\x1b[2J forged" in m for m in messages)
    assert any("/users/a\\\\nb" in m for m in messages)  # a sent backslash stays visible
    assert any("signed_up\\n2026-05-01" in m for m in messages)
    for message in messages:
        assert not any(char in message for char in "\n\r\x1b\u2028\u2029\x85\x0b\x0c")


def test_unknown_api_keys_do_not_grow_memory(sandbox) -> None:
    """Every look-up of an unknown key used to be remembered forever (about 3.3 MB per 20,000
    random keys). What authentication keeps is measured across 500 more unknown keys."""

    def unknown_keys(count: int) -> None:
        for _ in range(count):
            key = f"sk_{secrets.token_hex(16)}"
            assert sandbox.call("GET", f"/users/{JANE}", key=key).status_code == 401

    unknown_keys(200)  # warm up: connections, caches of the known keys, interned strings
    tracemalloc.start(3)
    try:
        before = tracemalloc.take_snapshot()
        unknown_keys(500)
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept_by_authentication = [tracemalloc.Filter(True, "*/sandbox/auth.py", all_frames=True)]
    growth = sum(
        stat.size_diff
        for stat in after.filter_traces(kept_by_authentication).compare_to(
            before.filter_traces(kept_by_authentication), "filename"
        )
    )
    # Remembering each miss kept about 90 KB here; SQLite's own bounded bookkeeping of
    # recent cursors accounts for up to about 17 KB.
    assert growth < 40_000, f"{growth} bytes kept for 500 unknown keys"
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200
