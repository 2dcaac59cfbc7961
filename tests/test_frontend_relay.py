"""Frontend: the relay to Spotzee's browser endpoints, its allow-list and error mapping,
the plain-form fallback, and the rule that it never touches the secret key."""

from __future__ import annotations

import ast
import concurrent.futures
import re
from pathlib import Path

import pytest
import urllib3

from frontend.relay import Relay, RelayFailure, RelayRefused, connection_pool
from tests.support import JANE, PUBLISHABLE_KEY, SECRET_KEY, switch_is_on

ROOT = Path(__file__).resolve().parent.parent
PATCHES = "/api/client/subscriptions/me"
SECRET_KEY_LITERAL = re.compile(r"\bsk_[A-Za-z0-9]")


def htmx_headers(token: str, csrf: str, key: str = PUBLISHABLE_KEY) -> dict[str, str]:
    return {
        "HX-Request": "true",
        "Authorization": f"Bearer {key}",
        "X-Spotzee-Contact-Token": token,
        "X-CSRFToken": csrf,
    }


def change(
    web, subscription_id: int, on: bool, token: str | None = None, htmx: bool = True, **headers: str
):
    csrf = web.csrf("/")
    token = token or web.sandbox.mint()
    data = {"csrf_token": csrf, "previous_state": "0" if on else "1", "name": "Test type"}
    if on:
        data["subscribed"] = "1"
    sent = htmx_headers(token, csrf) if htmx else {}
    if not htmx:
        data["contact_token"] = token
    return web.client.post(
        f"/preferences/subscriptions/{subscription_id}", data=data, headers={**sent, **headers}
    )


def patches(sandbox) -> list[dict]:
    return [entry for entry in sandbox.log() if entry["path"] == PATCHES]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/users/{JANE}"),
        ("POST", f"/users/{JANE}/sessions"),
        ("DELETE", "/users/me"),
        ("PATCH", "/users/me"),
        ("GET", "/subscriptions"),
        ("PATCH", "/subscriptions/me/../7"),
    ],
)
def test_the_relay_forwards_only_the_two_preference_endpoints(sandbox, method, path) -> None:
    relay = Relay(sandbox.api, PUBLISHABLE_KEY, timeout=(1, 2))
    with pytest.raises(RelayRefused):
        relay.call(method, path, "any-token")
    assert sandbox.log() == []


def test_the_relay_reads_the_contact_with_the_publishable_key(sandbox) -> None:
    relay = Relay(sandbox.api, PUBLISHABLE_KEY, timeout=(1, 2))
    assert relay.current_contact(sandbox.mint())["external_id"] == JANE


def test_one_change_is_one_upstream_patch_rendering_the_full_list(web) -> None:
    web.sign_in()
    response = change(web, 15, on=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith('<section id="preferences"')
    assert "Order updates by push: subscribed" in html
    assert html.count('role="switch"') == 5
    assert 'name="contact_token"' not in html  # the script holds the token, not the DOM
    assert len(patches(web.sandbox)) == 1
    assert web.sandbox.states()[15] == 1


def test_every_change_has_its_own_idempotency_key(web) -> None:
    web.sign_in()
    change(web, 15, on=True)
    change(web, 15, on=False)
    keys = [entry["idempotency_key"] for entry in patches(web.sandbox)]
    assert len(keys) == 2 and len(set(keys)) == 2 and all(keys)


@pytest.mark.parametrize("key", [SECRET_KEY, "pk_some_other_project_key_01", "nonsense"])
def test_foreign_keys_are_refused_with_400(web, key) -> None:
    web.sign_in()
    csrf = web.csrf("/")
    response = web.client.post(
        "/preferences/subscriptions/7",
        data={"csrf_token": csrf},
        headers=htmx_headers(web.sandbox.mint(), csrf, key=key),
    )
    assert response.status_code == 400
    assert patches(web.sandbox) == []


def test_an_expired_token_is_a_401_with_the_marker_for_the_script(web) -> None:
    web.sign_in()
    token = web.sandbox.mint()
    web.sandbox.advance(901)
    response = change(web, 15, on=True, token=token)
    assert response.status_code == 401
    assert response.headers["X-Contact-Token-Rejected"] == "true"
    assert web.sandbox.states()[15] == 0


@pytest.mark.parametrize(
    ("fault", "status", "text"),
    [
        ({"status": 503}, 503, "couldn&#39;t reach our messaging service"),
        ({"status": 500}, 502, "couldn&#39;t reach our messaging service"),
        ({"status": 429}, 503, "couldn&#39;t reach our messaging service"),
        ({"drop": True}, 503, "couldn&#39;t reach our messaging service"),
    ],
)
def test_upstream_failures_put_the_switch_back_and_say_so(web, fault, status, text) -> None:
    web.sign_in()
    web.sandbox.fault(path="subscriptions/me", **fault)
    response = change(web, 15, on=True)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#preference-15"
    assert html.startswith('<form class="preference" id="preference-15"')
    assert not switch_is_on(html, 15)  # back to off
    assert "Test type: not saved" in html and text in html
    assert 'hx-swap-oob="true"' in html and ">Try again</button>" in html
    assert len(patches(web.sandbox)) == 1  # exactly one upstream call, no retry
    assert web.sandbox.states()[15] == 0


def test_a_timeout_is_a_503(web) -> None:
    web.app.extensions["relay"].timeout = (1, 0.3)
    web.sign_in()
    web.sandbox.fault(path="subscriptions/me", latency_ms=800)
    assert change(web, 15, on=True).status_code == 503


def test_an_unknown_type_is_a_404_naming_the_problem(web) -> None:
    web.sign_in()
    response = change(web, 404, on=True)
    assert response.status_code == 404
    assert "no longer exists" in response.get_data(as_text=True)


def test_a_non_public_type_is_refused_with_a_message(web) -> None:
    web.sign_in()
    response = change(web, 9, on=False)
    assert response.status_code == 403
    assert "not saved" in response.get_data(as_text=True)


def test_signed_out_htmx_requests_say_sign_in_again(web) -> None:
    response = change(web, 15, on=True)
    assert response.status_code == 401
    assert "X-Contact-Token-Rejected" not in response.headers
    assert "Sign in again" in response.get_data(as_text=True)


def test_without_javascript_a_change_redirects_back_with_the_message(web) -> None:
    web.sign_in()
    response = change(web, 21, on=True, htmx=False)
    assert response.status_code == 303 and response.headers["Location"] == "/preferences"
    page = web.client.get("/preferences").get_data(as_text=True)
    assert "In-app tips: subscribed" in page
    assert web.sandbox.states()[21] == 1


def test_without_javascript_an_expired_token_is_replaced_and_the_change_lands(web) -> None:
    web.sign_in()
    token = web.sandbox.mint()
    web.sandbox.advance(901)
    response = change(web, 21, on=True, token=token, htmx=False)
    assert response.status_code == 303
    assert web.sandbox.states()[21] == 1
    assert [e["status"] for e in patches(web.sandbox)] == [401, 200]


def test_without_javascript_a_failure_redirects_with_an_honest_message(web) -> None:
    web.sign_in()
    web.sandbox.fault(path="subscriptions/me", status=503)
    assert change(web, 21, on=True, htmx=False).status_code == 303
    page = web.client.get("/preferences").get_data(as_text=True)
    assert "not saved" in page and web.sandbox.states()[21] == 0


def unsubscribe(web, scope: str, ids: list[int], confirmed: bool, htmx: bool = True):
    csrf = web.csrf("/")
    token = web.sandbox.mint()
    data = {"csrf_token": csrf, "subscription_id": [str(i) for i in ids], "contact_token": token}
    if confirmed:
        data["confirmed"] = "1"
    return web.client.post(
        f"/preferences/unsubscribe/{scope}",
        data=data,
        headers=htmx_headers(token, csrf) if htmx else {},
    )


def test_unsubscribing_from_a_channel_is_one_call_for_all_its_types(web) -> None:
    web.sign_in()
    response = unsubscribe(web, "email", [7, 8], confirmed=True)
    assert response.status_code == 200
    assert "All email: unsubscribed" in response.get_data(as_text=True)
    assert len(patches(web.sandbox)) == 1
    states = web.sandbox.states()
    assert states[7] == 0 and states[8] == 0


def test_unsubscribing_without_confirmation_only_asks(web) -> None:
    web.sign_in()
    response = unsubscribe(web, "all", [7, 8, 12, 15, 21], confirmed=False, htmx=False)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Unsubscribe from everything?" in page and 'href="/preferences">Cancel' in page
    assert patches(web.sandbox) == []
    done = unsubscribe(web, "all", [7, 8, 12, 15, 21], confirmed=True, htmx=False)
    assert done.status_code == 303
    assert set(web.sandbox.states().values()) == {0, 1}  # only the non-public type is on


@pytest.mark.parametrize(
    ("scope", "ids", "status"), [("fax", [7], 404), ("email", [], 400), ("email", ["x"], 400)]
)
def test_bad_unsubscribe_requests_are_refused(web, scope, ids, status) -> None:
    web.sign_in()
    assert unsubscribe(web, scope, ids, confirmed=True).status_code == status


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_frontend_never_imports_the_backend_or_names_the_secret_key() -> None:
    for path in (ROOT / "frontend").glob("*.py"):
        modules = imported_modules(path)
        assert not any(m == "backend" or m.startswith("backend.") for m in modules), path
        text = path.read_text()
        assert "SPOTZEE_SECRET_KEY" not in text and not SECRET_KEY_LITERAL.search(text), path


def test_nothing_served_to_browsers_contains_a_secret_key() -> None:
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".html", ".js", ".css", ".svg"):
                text = path.read_text()
                assert "SPOTZEE_SECRET_KEY" not in text, path
                assert not SECRET_KEY_LITERAL.search(text), path


def test_relay_failures_describe_no_secret(sandbox) -> None:
    relay = Relay(sandbox.api, PUBLISHABLE_KEY, timeout=(1, 2))
    with pytest.raises(RelayFailure) as failure:
        relay.set_states("not-a-token", [(7, 1)])
    assert failure.value.status == 401
    assert PUBLISHABLE_KEY not in str(failure.value)


def test_a_change_reports_its_upstream_time_in_server_timing(web) -> None:
    web.sign_in()
    timing = change(web, 15, on=True).headers["Server-Timing"]
    metrics = dict(entry.strip().split(";dur=") for entry in timing.split(","))
    assert set(metrics) == {"app", "spotzee"}
    assert 0 < float(metrics["spotzee"]) <= float(metrics["app"])


def test_the_relay_goes_through_the_environments_proxy_unless_told_not_to(monkeypatch) -> None:
    """The relay talks to urllib3 directly, so it reads the proxy settings that requests
    would have read for it (the backend's client honours the same ones)."""
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    through = connection_pool("https://api.spotzee.example/api/client")
    assert isinstance(through, urllib3.ProxyManager)
    assert through.proxy.host == "proxy.internal"

    monkeypatch.setenv("NO_PROXY", "api.spotzee.example")
    assert not isinstance(
        connection_pool("https://api.spotzee.example/api/client"), urllib3.ProxyManager
    )


def test_htmx_answers_carry_no_tokens_in_their_forms(web) -> None:
    """The page's script sends the CSRF and contact tokens as headers, so the re-rendered
    list needs neither in its forms; the page itself keeps both for the plain-form path."""
    web.sign_in()
    html = change(web, 15, on=True).get_data(as_text=True)
    assert 'name="csrf_token"' not in html
    assert 'name="contact_token"' not in html
    page = web.client.get("/preferences").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= html.count("<form")
    assert 'name="contact_token"' in page


def test_concurrent_changes_keep_their_connections_to_spotzee(sandbox, caplog) -> None:
    """One relay serves every thread of a worker. Its pool keeps a connection for each
    call in flight, rather than opening new ones and throwing them away (urllib3's default
    pool keeps one, and warns about every other)."""
    relay = Relay(sandbox.api, PUBLISHABLE_KEY, timeout=(1, 5))
    token = sandbox.mint()
    sandbox.fault(method="GET", path="/users/me", latency_ms=300, count=8)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: relay.current_contact(token), range(8)))
    assert [answer["external_id"] for answer in answers] == [JANE] * 8
    assert "pool is full" not in caplog.text


def test_an_answer_that_is_not_spotzees_json_is_a_bad_gateway_not_a_500(web, proxy_page) -> None:
    web.app.extensions["relay"] = Relay(proxy_page, PUBLISHABLE_KEY, timeout=(1, 2))
    web.sign_in()
    response = change(web, 15, on=True)
    assert response.status_code == 502
    html = response.get_data(as_text=True)
    assert "not saved" in html
    assert "Try again" in html
