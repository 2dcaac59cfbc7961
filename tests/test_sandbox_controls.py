"""Sandbox: the test controls under /_sandbox/ (clock, faults, seed, reset, request log)."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox.testing import running_sandbox
from tests.support import JANE, Sandbox


def test_controls_are_404_unless_switched_on(tmp_path) -> None:
    with running_sandbox(tmp_path / "s.sqlite3", controls=False) as url:
        for method, name in (("GET", "clock"), ("POST", "reset"), ("GET", "requests")):
            assert requests.request(method, f"{url}/_sandbox/{name}", timeout=5).status_code == 404


def test_the_clock_moves_forward_on_request(sandbox) -> None:
    before = sandbox.control("GET", "clock").json()
    moved = sandbox.control("POST", "clock", {"advance_seconds": 3600}).json()
    assert moved["offset_seconds"] == 3600
    assert moved["unix"] - before["unix"] >= 3600
    assert sandbox.control("POST", "clock", {"advance_seconds": -5}).status_code == 422


@pytest.mark.parametrize(
    ("status", "code"),
    [(503, "service_unavailable"), (500, "internal_error"), (429, "rate_limited")],
)
def test_a_status_fault_answers_with_the_usual_envelope(sandbox, status, code) -> None:
    sandbox.fault(method="GET", path="/users/", status=status)
    response = sandbox.call("GET", f"/users/{JANE}")
    assert response.status_code == status
    assert response.json()["code"] == code
    if status == 429:
        assert response.headers["Retry-After"] == "1"
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200  # count 1: used up


def test_faults_match_method_and_path_and_count_down(sandbox) -> None:
    sandbox.fault(method="PATCH", path=r"subscriptions/me$", status=503, count=2)
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200
    token = sandbox.mint()
    change = [{"subscription_id": 7, "state": 0}]
    assert sandbox.toggle(token, change).status_code == 503
    assert sandbox.toggle(token, change).status_code == 503
    assert sandbox.toggle(token, change).status_code == 200


def test_a_dropped_connection_gets_no_answer_and_logs_status_0(sandbox) -> None:
    sandbox.fault(path="sessions", drop=True)
    with pytest.raises(requests.ConnectionError):
        sandbox.call("POST", f"/users/{JANE}/sessions", headers={"Idempotency-Key": "drop"})
    entry = sandbox.log()[-1]
    assert (entry["path"], entry["status"]) == (f"/api/client/users/{JANE}/sessions", 0)
    retried = sandbox.call("POST", f"/users/{JANE}/sessions", headers={"Idempotency-Key": "drop"})
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers


@pytest.mark.parametrize("fault", [{"drop": True}, {"status": 504}])
def test_an_after_fault_makes_the_change_then_loses_its_answer(sandbox, fault) -> None:
    """The ambiguous outcome: Spotzee saved the change, the caller never heard. A replay with
    the same Idempotency-Key gets the kept answer and changes nothing more."""
    sandbox.fault(method="PATCH", path="subscriptions/me", after=True, **fault)
    token = sandbox.mint()
    change = [{"subscription_id": 7, "state": 0}]
    headers = {"Idempotency-Key": "ambiguous"}
    if fault.get("drop"):
        with pytest.raises(requests.ConnectionError):
            sandbox.toggle(token, change, headers=headers)
    else:
        assert sandbox.toggle(token, change, headers=headers).status_code == 504
    assert sandbox.states()[7] == 0
    replayed = sandbox.toggle(token, change, headers=headers)
    assert replayed.status_code == 200
    assert replayed.headers["Idempotent-Replayed"] == "true"


def test_an_after_fault_with_latency_answers_late_but_is_done_at_once(sandbox) -> None:
    sandbox.fault(method="PATCH", path="subscriptions/me", after=True, latency_ms=1500)
    token = sandbox.mint()
    change = [{"subscription_id": 7, "state": 0}]
    with pytest.raises(requests.Timeout):
        sandbox.toggle(token, change, headers={"Idempotency-Key": "late"}, timeout=0.5)
    assert sandbox.states()[7] == 0


def test_latency_delays_the_answer(sandbox) -> None:
    sandbox.fault(path="/users/", latency_ms=300)
    started = time.perf_counter()
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_faults_can_be_listed_and_cleared(sandbox) -> None:
    sandbox.fault(status=503, count=5)
    assert sandbox.control("GET", "faults").json()["faults"][0]["count"] == 5
    assert sandbox.control("DELETE", "faults").status_code == 204
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200


@pytest.mark.parametrize(
    "fault",
    [{"path": "("}, {"status": 200}, {"latency_ms": -1}, {"drop": "yes"}, {"count": 0}, ["nope"]],
)
def test_bad_faults_are_refused(sandbox, fault) -> None:
    assert sandbox.control("POST", "faults", fault).status_code == 422


def test_seed_replaces_everything_and_reset_restores_the_demo(sandbox) -> None:
    sandbox.fault(status=503, count=10)
    sandbox.advance(100)
    seeded = sandbox.control(
        "POST",
        "seed",
        {
            "projects": [
                {
                    "id": 5,
                    "name": "Tiny",
                    "keys": [
                        {"value": "sk_tiny_project_key_1", "scope": "secret", "role": "admin"}
                    ],
                    "subscriptions": [
                        {"id": 3, "name": "Only", "channel": "push", "is_public": True}
                    ],
                    "contacts": [{"id": 9, "external_id": "t-9", "states": {"3": 2}}],
                }
            ]
        },
    )
    assert seeded.status_code == 200
    assert sandbox.control("GET", "faults").json()["faults"] == []
    assert sandbox.control("GET", "clock").json()["offset_seconds"] == 0
    assert sandbox.log() == []
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 401  # old keys are gone
    assert sandbox.call("GET", "/users/t-9/subscriptions", key="sk_tiny_project_key_1").json()[
        "results"
    ] == [{"subscription_id": 3, "state": 2, "name": "Only", "channel": "push"}]
    assert sandbox.control("POST", "reset").status_code == 200
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200


def test_tokens_minted_before_a_reset_stop_working(sandbox) -> None:
    token = sandbox.mint()
    sandbox.control("POST", "reset")
    assert sandbox.me(token).status_code == 401


@pytest.mark.parametrize(
    "fixture",
    [
        {},
        {"projects": [{"id": "x", "name": "P"}]},
        {
            "projects": [
                {"id": 1, "name": "P", "keys": [{"value": "pk_wrong_scope_1", "scope": "secret"}]}
            ]
        },
        {
            "projects": [
                {
                    "id": 1,
                    "name": "P",
                    "contacts": [{"id": 2, "external_id": "a", "states": {"99": 1}}],
                }
            ]
        },
        {
            "projects": [
                {
                    "id": 1,
                    "name": "P",
                    "subscriptions": [{"id": 1, "name": "S", "channel": "email"}],
                    "contacts": [{"id": 2, "external_id": "a", "states": {"\u00b9": 1}}],
                }
            ]
        },
    ],
)
def test_a_bad_fixture_is_refused_whole(sandbox, fixture) -> None:
    response = sandbox.control("POST", "seed", fixture)
    assert response.status_code == 422 and response.json()["errors"]
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200  # demo state untouched


def test_the_request_log_records_every_api_request_oldest_first(sandbox) -> None:
    sandbox.call("GET", f"/users/{JANE}", params={"q": "secret-query"})
    sandbox.call("GET", "/users/x", key=None)
    sandbox.call("POST", f"/users/{JANE}/sessions", headers={"Idempotency-Key": "abc"})
    sandbox.control("GET", "clock")
    log = sandbox.log()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", f"/api/client/users/{JANE}", 200),
        ("GET", "/api/client/users/x", 401),
        ("POST", f"/api/client/users/{JANE}/sessions", 200),
    ]
    assert log[2]["idempotency_key"] == "abc" and log[2]["replayed"] is False
    assert set(log[0]) == {"method", "path", "status", "idempotency_key", "replayed", "at"}


def test_a_second_sandbox_has_its_own_state(sandbox, tmp_path) -> None:
    sandbox.call("DELETE", f"/users/{JANE}")
    with running_sandbox(tmp_path / "other.sqlite3") as url, requests.Session() as http:
        assert Sandbox(url, http).call("GET", f"/users/{JANE}").status_code == 200


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("faults", '{"status": 503, "count": 100}', "text/plain"),
        ("faults", "status=503&count=100", "application/x-www-form-urlencoded"),
        ("clock", '{"advance_seconds": 86400}', "text/plain;charset=UTF-8"),
        ("reset", "", "application/x-www-form-urlencoded"),
        ("seed", '{"projects": []}', None),
    ],
)
def test_a_control_post_that_any_web_page_could_send_is_refused(
    sandbox, name, body, content_type
) -> None:
    """A page may POST a form or text/plain anywhere without a preflight; JSON needs one."""
    sandbox.call("DELETE", f"/users/{JANE}")
    headers = {"Content-Type": content_type} if content_type else {}
    sent = requests.post(f"{sandbox.url}/_sandbox/{name}", data=body, headers=headers, timeout=5)
    assert sent.status_code == 415
    assert sent.json()["param"] == "Content-Type"
    assert sandbox.control("GET", "faults").json()["faults"] == []
    assert sandbox.control("GET", "clock").json()["offset_seconds"] == 0
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 404  # not reset or reseeded


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8025", "127.0.0.1.evil.example"])
def test_the_controls_refuse_a_host_that_is_not_the_sandbox(sandbox, host) -> None:
    """DNS rebinding: a page whose domain now resolves to 127.0.0.1 sends its own Host."""
    for method, name, body in (("GET", "requests", None), ("POST", "faults", {"status": 503})):
        sent = requests.request(
            method, f"{sandbox.url}/_sandbox/{name}", json=body, headers={"Host": host}, timeout=5
        )
        assert sent.status_code == 403
        assert (sent.json()["code"], sent.json()["param"]) == ("permission_denied", "Host")
    assert sandbox.control("GET", "faults").json()["faults"] == []


def test_the_controls_answer_to_the_sandboxs_own_names(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SANDBOX_HOST", "sandbox.internal")
    with running_sandbox(tmp_path / "s.sqlite3") as url:
        port = url.rsplit(":", 1)[1]
        for host in ("localhost", "127.0.0.1", "[::1]", "LOCALHOST", "sandbox.internal"):
            sent = requests.get(
                f"{url}/_sandbox/clock", headers={"Host": f"{host}:{port}"}, timeout=5
            )
            assert sent.status_code == 200, host


@pytest.mark.parametrize("seconds", [1e308, 10**400, 300 * 365 * 86400 * 100])
def test_the_clock_cannot_be_moved_past_any_writable_date(sandbox, seconds) -> None:
    response = sandbox.http.post(
        f"{sandbox.url}/_sandbox/clock",
        data=f'{{"advance_seconds": {seconds}}}',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 422
    assert sandbox.control("GET", "clock").json()["offset_seconds"] == 0
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200


@pytest.mark.parametrize(
    "project",
    [
        {"keys": 5},
        {"keys": [{"value": "sk_short", "scope": "secret"}]},
        {"keys": [{"value": "sk_valid_key_0001", "scope": "secret", "rate_limit": {"read": "x"}}]},
        {"subscriptions": [{"id": 1, "name": "S", "channel": "email", "created_at": 5}]},
        {"contacts": [{"id": 2, "external_id": "a", "devices": "x"}]},
        {"contacts": [{"id": 2, "external_id": "a", "email": 5}]},
        {"contacts": [{"id": 2, "external_id": "a"}, {"id": 3, "external_id": "a"}]},
        {
            "contacts": [
                {"id": 2, "external_id": "a", "anonymous_id": "z"},
                {"id": 3, "external_id": "b", "anonymous_id": "z"},
            ]
        },
        {"contacts": [{"id": 2, "external_id": "a", "anonymous_id": "a/b"}]},
    ],
    ids=[
        "keys-not-a-list",
        "key-the-api-would-refuse",
        "rate-not-a-number",
        "created-at-not-a-string",
        "devices-not-a-list",
        "email-not-a-string",
        "duplicate-external-id",
        "duplicate-anonymous-id",
        "unreachable-anonymous-id",
    ],
)
def test_a_fixture_that_could_not_be_served_is_refused_whole(sandbox, project) -> None:
    """Each of these used to load, then fail as a 500 on the next request that read it."""
    response = sandbox.control("POST", "seed", {"projects": [{"id": 1, "name": "P", **project}]})
    assert response.status_code == 422 and response.json()["errors"]
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 200
