"""Sandbox: the API conventions of section 5 (errors, request ids, versions, bodies,
idempotency, rate limits, CORS) and persistence."""

from __future__ import annotations

import logging
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest
import requests

from sandbox.testing import running_sandbox
from tests.support import JANE, PUBLISHABLE_KEY, SECRET_KEY, Sandbox

REQUEST_ID = re.compile(r"^req_[0-9A-HJKMNP-TV-Z]{26}$")
NEWS = [{"subscription_id": 7, "state": 0}]


def test_every_answer_carries_a_request_id_and_the_version(sandbox) -> None:
    for response in (
        sandbox.call("GET", f"/users/{JANE}"),
        sandbox.call("GET", "/users/x"),
        sandbox.call("GET", "/users/x", key=None),
    ):
        assert REQUEST_ID.match(response.headers["X-Request-Id"])
        assert response.headers["Spotzee-Version"] == "2026-04-28"
    error = sandbox.call("GET", "/users/x")
    assert error.headers["Content-Type"] == "application/problem+json"
    assert error.json()["request_id"] == error.headers["X-Request-Id"]
    assert error.json()["error"] == error.json()["message"]


@pytest.mark.parametrize(
    ("version", "code"),
    [
        ("2026-04-28", None),
        ("2025-01-01", "version_unsupported"),
        ("latest", "parameter_invalid_format"),
    ],
)
def test_the_version_header_is_checked(sandbox, version, code) -> None:
    response = sandbox.call("GET", f"/users/{JANE}", headers={"Spotzee-Version": version})
    if code is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert response.json()["code"] == code
        assert response.json()["param"] == "Spotzee-Version"


def test_wrong_types_are_422_and_malformed_json_400(sandbox) -> None:
    wrong = sandbox.call(
        "PATCH", f"/users/{JANE}/subscriptions", json=[{"subscription_id": "seven", "state": 1}]
    )
    assert wrong.status_code == 422
    malformed = sandbox.call("POST", "/users/batch", data=b"{not json")
    assert malformed.status_code == 400


def test_a_body_over_one_mebibyte_is_refused_unread_and_nothing_is_written(sandbox) -> None:
    huge = b"[" + b" " * (1024 * 1024) + b"]"
    response = sandbox.call(
        "POST", "/users/batch", data=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["param"] == "body"


def test_an_idempotent_replay_returns_the_original_answer(sandbox) -> None:
    key = {"Idempotency-Key": "mint-1"}
    first = sandbox.call("POST", f"/users/{JANE}/sessions", headers=key)
    again = sandbox.call("POST", f"/users/{JANE}/sessions", headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["X-Request-Id"] == first.headers["X-Request-Id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    replayed = [entry["replayed"] for entry in sandbox.log() if entry["path"].endswith("sessions")]
    assert replayed == [False, True]


def test_a_reused_key_with_another_body_is_a_mismatch(sandbox) -> None:
    key = {"Idempotency-Key": "toggle-1"}
    assert (
        sandbox.call("PATCH", f"/users/{JANE}/subscriptions", json=NEWS, headers=key).status_code
        == 200
    )
    other = sandbox.call(
        "PATCH",
        f"/users/{JANE}/subscriptions",
        json=[{"subscription_id": 7, "state": 1}],
        headers=key,
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_mismatch"
    assert sandbox.states()[7] == 0


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/users/cust-1a3b5c/sessions", None),  # another path
        ("PATCH", f"/users/{JANE}/subscriptions", NEWS),  # another method and path
        ("POST", "/events", [{"name": "x", "external_id": JANE}]),
    ],
)
def test_a_key_reused_on_another_path_or_method_is_a_mismatch(sandbox, method, path, body):
    """Not run anew: a retry sent to the wrong endpoint must not look like a success."""
    key = {"Idempotency-Key": "shared"}
    assert sandbox.call("POST", f"/users/{JANE}/sessions", headers=key).status_code == 200
    before = sandbox.states()
    other = sandbox.call(method, path, json=body, headers=key)
    assert other.status_code == 409
    assert (other.json()["code"], other.json()["param"]) == (
        "idempotency_key_mismatch",
        "Idempotency-Key",
    )
    assert sandbox.states() == before
    assert [e["status"] for e in sandbox.log()][-2:] == [409, 200]  # states() read after it


def test_keys_are_scoped_per_api_key(sandbox) -> None:
    sandbox.control("POST", "seed", TWO_KEYS)
    key = {"Idempotency-Key": "shared"}
    first = sandbox.call(
        "POST", "/users/c-1/sessions", key="sk_first_key_of_project_1", headers=key
    )
    second = sandbox.call(
        "POST", "/users/c-1/sessions", key="sk_second_key_of_project_1", headers=key
    )
    assert first.status_code == second.status_code == 200
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["token"] != first.json()["token"]


TWO_KEYS = {
    "projects": [
        {
            "id": 1,
            "name": "P",
            "keys": [
                {"value": "sk_first_key_of_project_1", "scope": "secret", "role": "admin"},
                {"value": "sk_second_key_of_project_1", "scope": "secret", "role": "admin"},
            ],
            "contacts": [{"id": 5, "external_id": "c-1"}],
        }
    ]
}


def test_publishable_key_replays_never_cross_contacts(sandbox) -> None:
    key = {"Idempotency-Key": "browser-generated"}
    jane = sandbox.toggle(sandbox.mint(), NEWS, headers=key)
    omar = sandbox.toggle(sandbox.mint("cust-1a3b5c"), NEWS, headers=key)
    assert "Idempotent-Replayed" not in omar.headers
    assert jane.status_code == omar.status_code == 200


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_idempotency_keys_must_be_1_to_255_characters(sandbox, key) -> None:
    response = sandbox.call("POST", f"/users/{JANE}/sessions", headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"


def test_errors_4xx_are_kept_and_5xx_are_not(sandbox) -> None:
    missing = {"Idempotency-Key": "missing-contact"}
    assert sandbox.call("POST", "/users/nobody/sessions", headers=missing).status_code == 404
    again = sandbox.call("POST", "/users/nobody/sessions", headers=missing)
    assert again.status_code == 404 and again.headers["Idempotent-Replayed"] == "true"

    sandbox.fault(path="sessions", status=503)
    retry = {"Idempotency-Key": "after-outage"}
    assert sandbox.call("POST", f"/users/{JANE}/sessions", headers=retry).status_code == 503
    recovered = sandbox.call("POST", f"/users/{JANE}/sessions", headers=retry)
    assert recovered.status_code == 200 and "Idempotent-Replayed" not in recovered.headers


def test_a_key_expires_after_24_hours_by_the_sandbox_clock(sandbox) -> None:
    key = {"Idempotency-Key": "day-old"}
    first = sandbox.call("POST", f"/users/{JANE}/sessions", headers=key).json()
    sandbox.advance(24 * 3600 - 1)
    assert sandbox.call("POST", f"/users/{JANE}/sessions", headers=key).json() == first
    sandbox.advance(1)
    fresh = sandbox.call("POST", f"/users/{JANE}/sessions", headers=key)
    assert "Idempotent-Replayed" not in fresh.headers and fresh.json() != first


def test_a_duplicate_while_the_first_runs_is_409_in_progress(sandbox) -> None:
    sandbox.fault(path="sessions", latency_ms=800)
    key = {"Idempotency-Key": "slow"}
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(sandbox.call, "POST", f"/users/{JANE}/sessions", headers=key)
        # The fault is taken after the key is claimed: once it is gone, the first request runs.
        while sandbox.control("GET", "faults").json()["faults"]:
            pass
        duplicate = sandbox.call("POST", f"/users/{JANE}/sessions", headers=key)
        assert duplicate.status_code == 409
        assert duplicate.json()["code"] == "idempotency_in_progress"
        assert duplicate.headers["Retry-After"] == "1"
        assert slow.result().status_code == 200
    assert (
        sandbox.call("POST", f"/users/{JANE}/sessions", headers=key).headers["Idempotent-Replayed"]
        == "true"
    )


def test_identical_concurrent_requests_execute_once(sandbox) -> None:
    key = {"Idempotency-Key": "burst"}
    body = [{"external_id": "cust-burst", "email": "burst@example.com"}]

    def send(_: int) -> requests.Response:
        with requests.Session() as http:
            return Sandbox(sandbox.url, http).call("POST", "/users/batch", json=body, headers=key)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    executed = [
        a for a in answers if a.status_code == 200 and "Idempotent-Replayed" not in a.headers
    ]
    assert len(executed) == 1
    assert all(a.status_code in (200, 409) for a in answers)
    ids = {a.json()["results"][0]["user"]["id"] for a in answers if a.status_code == 200}
    assert len(ids) == 1


def test_rate_limits_are_off_by_default(sandbox) -> None:
    response = sandbox.call("GET", f"/users/{JANE}")
    assert "X-RateLimit-Limit" not in response.headers


def test_rate_limits_when_on_count_per_key_and_answer_429(tmp_path) -> None:
    fixture = {
        "projects": [
            {
                "id": 1,
                "name": "P",
                "keys": [
                    {
                        "value": "sk_tiny_rate_limit_key_01",
                        "scope": "secret",
                        "role": "admin",
                        "rate_limit": {"read": 0.2, "write": 0.1},
                    }
                ],
                "contacts": [{"id": 5, "external_id": "c-5"}],
            }
        ]
    }
    with (
        running_sandbox(tmp_path / "s.sqlite3", RATE_LIMITS=True) as url,
        requests.Session() as http,
    ):
        box = Sandbox(url, http)
        box.control("POST", "seed", fixture)
        key = "sk_tiny_rate_limit_key_01"
        first = box.call("GET", "/users/c-5", key=key)
        assert first.headers["X-RateLimit-Limit"] == "3"  # 0.2/s x 10 s x 1.5 burst
        assert first.headers["X-RateLimit-Remaining"] == "2"
        assert first.headers["X-RateLimit-Tier"] == "starter"
        box.call("GET", "/users/c-5", key=key)
        box.call("GET", "/users/c-5", key=key)
        limited = box.call("GET", "/users/c-5", key=key)
        assert limited.status_code == 429
        assert limited.json()["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        # Writes count in their own bucket; the window slides on the sandbox clock.
        assert box.call("POST", "/users/c-5/sessions", key=key).status_code == 200
        box.advance(10)
        assert box.call("GET", "/users/c-5", key=key).status_code == 200


def test_browser_endpoints_answer_cors_preflights(sandbox) -> None:
    preflight = sandbox.http.options(
        f"{sandbox.api}/subscriptions/me",
        headers={
            "Origin": "https://brand.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, x-spotzee-contact-token",
        },
    )
    assert preflight.status_code == 204
    allowed = preflight.headers["Access-Control-Allow-Headers"]
    for header in (
        "Authorization",
        "X-Spotzee-Contact-Token",
        "X-Spotzee-User-Token",
        "Idempotency-Key",
        "Spotzee-Version",
        "x-spotzee-client-type",
    ):
        assert header in allowed
    me = sandbox.me(sandbox.mint())
    assert me.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Request-Id" in me.headers["Access-Control-Expose-Headers"]


def test_state_survives_a_restart_on_the_same_database(tmp_path) -> None:
    database = tmp_path / "kept.sqlite3"
    with running_sandbox(database) as url, requests.Session() as http:
        Sandbox(url, http).call("PATCH", f"/users/{JANE}/subscriptions", json=NEWS)
    with running_sandbox(database) as url, requests.Session() as http:
        assert Sandbox(url, http).states()[7] == 0


def test_keys_and_tokens_never_reach_the_logs_or_the_request_log(sandbox, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    token = sandbox.mint()
    sandbox.me(token)
    sandbox.toggle(token, NEWS, headers={"Idempotency-Key": "k-1"})
    sandbox.me("bad-token")
    logged = caplog.text + repr(sandbox.log())
    assert "sessions" in logged  # the log did record the calls
    for secret in (SECRET_KEY, PUBLISHABLE_KEY, token):
        assert secret not in logged


def test_a_204_has_no_body_and_no_content_type(sandbox) -> None:
    """Spotzee's generated client parses any answer with a Content-Type; a 204 has none."""
    event = [{"name": "opened_preferences", "external_id": JANE}]
    key = {"Idempotency-Key": "event-1"}
    answers = [
        sandbox.call("POST", "/events", json=event, headers=key),
        sandbox.call("POST", "/events", json=event, headers=key),  # the kept answer, replayed
        sandbox.call("DELETE", f"/users/{JANE}"),
        sandbox.http.options(f"{sandbox.api}/users/me", headers={"Origin": "https://a.example"}),
    ]
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    for answer in answers:
        assert answer.status_code == 204
        assert answer.content == b""
        assert "Content-Type" not in answer.headers


def test_a_database_from_before_keys_were_bound_to_their_path_still_serves(tmp_path) -> None:
    database = tmp_path / "older.sqlite3"
    with closing(sqlite3.connect(database)) as conn:
        conn.execute(
            "CREATE TABLE idempotency (scope TEXT NOT NULL, key TEXT NOT NULL,"
            " body_sha256 TEXT NOT NULL, created_at REAL NOT NULL, finished INTEGER NOT NULL"
            " DEFAULT 0, status INTEGER, content_type TEXT, body BLOB, request_id TEXT,"
            " headers TEXT, PRIMARY KEY (scope, key))"
        )
    with running_sandbox(database) as url, requests.Session() as http:
        box = Sandbox(url, http)
        key = {"Idempotency-Key": "after-upgrade"}
        assert box.call("POST", f"/users/{JANE}/sessions", headers=key).status_code == 200
        again = box.call("POST", f"/users/{JANE}/sessions", headers=key)
        assert again.headers["Idempotent-Replayed"] == "true"
