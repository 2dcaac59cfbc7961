"""Web app: minting contact session tokens, the first render, error pages, and secrecy."""

from __future__ import annotations

import logging
import sqlite3
import time

import jwt
import pytest

from tests.support import JANE, OMAR, PUBLISHABLE_KEY, SECRET_KEY, switch_is_on

MINT_PATH = f"/api/client/users/{JANE}/sessions"


def mints(web, path: str = MINT_PATH) -> list[dict]:
    """Mints since signing in (the sign-in's own page load mints one)."""
    return web.upstream(path)


def test_a_signed_in_customer_gets_a_token_that_works_on_spotzee(web) -> None:
    web.sign_in()
    response = web.mint()
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert set(body) == {"token", "expires_at", "expires_in"}
    assert 890 <= body["expires_in"] <= 900
    me = web.sandbox.me(body["token"])
    assert me.status_code == 200 and me.json()["external_id"] == JANE


def test_the_token_is_only_ever_for_the_signed_in_customer(web) -> None:
    web.sign_in("omar@example.com")
    response = web.client.post(
        "/api/contact-session?userId=cust-9f4b21",
        json={"external_id": JANE, "userId": JANE},
        headers={"X-CSRFToken": web.csrf()},
    )
    assert web.sandbox.me(response.json["token"]).json()["external_id"] == OMAR


def test_expires_in_counts_from_the_servers_clock_not_spotzees(web) -> None:
    web.sandbox.advance(3600)  # Spotzee's clock an hour ahead: never more than 15 minutes
    web.sign_in()
    assert web.mint().json["expires_in"] == 900


def test_minting_needs_a_signed_in_customer(web) -> None:
    response = web.mint()
    assert response.status_code == 401
    assert response.json["error"] == "not_signed_in"
    assert mints(web) == []


@pytest.mark.parametrize("csrf", [None, "forged"])
def test_minting_needs_the_csrf_header(web, csrf) -> None:
    web.sign_in()
    headers = {"X-CSRFToken": csrf} if csrf else {}
    response = web.client.post("/api/contact-session", headers=headers)
    assert response.status_code == 403
    assert response.json["error"] == "csrf_failed"
    assert mints(web) == []


def test_a_503_then_success_mints_once_with_one_idempotency_key(web) -> None:
    web.sign_in()
    web.sandbox.fault(path="sessions", status=503)
    assert web.mint().status_code == 200
    attempts = mints(web)
    assert [a["status"] for a in attempts] == [503, 200]
    assert len({a["idempotency_key"] for a in attempts}) == 1
    assert attempts[0]["idempotency_key"]


def test_a_timeout_is_retried_with_the_same_key_and_mints_once(make_web) -> None:
    web = make_web(SPOTZEE_READ_TIMEOUT=0.3)
    web.sign_in()
    web.sandbox.fault(path="sessions", latency_ms=700)
    assert web.mint().status_code == 200
    attempts = mints(web)
    assert len({a["idempotency_key"] for a in attempts}) == 1
    executed = [a for a in attempts if a["status"] == 200 and not a["replayed"]]
    assert len(executed) == 1 and len(attempts) >= 2


def test_a_4xx_is_not_retried_and_a_missing_contact_is_a_clear_error(web) -> None:
    conn = sqlite3.connect(web.app.config["DATABASE"])
    with conn:
        conn.execute(
            "UPDATE customers SET external_id = 'cust-gone' WHERE email = ?", ("jane@example.com",)
        )
    conn.close()
    web.sign_in()
    response = web.mint()
    assert response.status_code == 404
    assert response.json["error"] == "contact_not_found"
    assert len(mints(web, "/api/client/users/cust-gone/sessions")) == 1


def test_spotzee_down_after_retries_is_a_503_with_retry_after(web) -> None:
    web.sign_in()
    web.sandbox.fault(path="sessions", status=503, count=3)
    response = web.mint()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"] == "spotzee_unavailable"
    assert len(mints(web)) == 3


def test_a_dropped_connection_is_retried(web) -> None:
    web.sign_in()
    web.sandbox.fault(path="sessions", drop=True)
    assert web.mint().status_code == 200


def test_page_loads_and_token_requests_share_one_mint_limit(web) -> None:
    """30 mints a minute per customer, however they are asked for: a page load is one, 29
    token requests follow, and then neither a token nor a page is minted."""
    web.sign_in()
    assert web.client.get("/preferences").status_code == 200
    csrf = web.csrf()
    statuses = [
        web.client.post("/api/contact-session", headers={"X-CSRFToken": csrf}).status_code
        for _ in range(30)
    ]
    assert statuses == [200] * 29 + [429]
    page = web.client.get("/preferences")
    assert page.status_code == 429
    assert page.headers["Retry-After"] == "60"
    assert "Too many attempts" in page.get_data(as_text=True)
    assert len(mints(web)) == 30


def test_sixty_page_loads_mint_thirty_tokens_at_most(web) -> None:
    web.sign_in()
    statuses = [web.client.get("/preferences").status_code for _ in range(60)]
    assert statuses == [200] * 30 + [429] * 30
    assert len(mints(web)) == 30


def test_the_page_shows_public_types_by_channel_with_states(web) -> None:
    web.sign_in()
    response = web.client.get("/preferences")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Hi Jane" in page and "jane@example.com" in page
    assert "Account security" not in page  # not public
    for heading in ("Email", "Text messages", "Push notifications", "In-app messages"):
        assert f">{heading}</h2>" in page
    assert switch_is_on(page, 7) and not switch_is_on(page, 21)  # 21 is unset: off
    # State 2, explained in words: how it was confirmed, and what turning it off does.
    assert (
        '<p class="confirmed" id="confirmed-8">You confirmed this by email. Turning it off '
        "removes the confirmation.</p>" in page
    )
    assert 'aria-describedby="about-8 confirmed-8"' in page


def test_the_first_render_runs_its_upstream_calls_together(web) -> None:
    web.sign_in()
    web.sandbox.fault(path="/api/client/", latency_ms=200, count=100)
    started = time.perf_counter()
    assert web.client.get("/preferences").status_code == 200
    elapsed = time.perf_counter() - started
    assert elapsed < 0.4, f"four calls of 200 ms took {elapsed:.2f} s"


def test_a_hanging_spotzee_gets_the_unavailable_page_within_the_page_deadline(make_web) -> None:
    web = make_web(PAGE_DEADLINE_SECONDS=1, SPOTZEE_READ_TIMEOUT=10)
    web.sign_in()
    web.sandbox.fault(path="/api/client/", latency_ms=4000, count=100)
    started = time.monotonic()
    response = web.client.get("/preferences")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Your preferences are unchanged" in response.get_data(as_text=True)
    assert elapsed < 3, f"answered after {elapsed:.1f} s, not by the 1 s deadline"


def test_subscription_types_are_cached_between_renders(web) -> None:
    web.sign_in()
    web.client.get("/preferences")
    web.client.get("/preferences")
    listed = [e for e in web.sandbox.log() if e["path"] == "/api/client/subscriptions"]
    assert len(listed) == 1


def test_spotzee_down_gives_a_page_saying_nothing_changed(web) -> None:
    web.sign_in()
    web.sandbox.fault(status=503, count=20)
    response = web.client.get("/preferences")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Your preferences are unchanged" in page
    assert 'href="/preferences">Try again' in page
    assert "Traceback" not in page


def test_spotzee_refusing_a_read_is_a_502_page(web) -> None:
    web.sign_in()
    web.sandbox.fault(method="GET", path="/users/", status=400, count=5)
    response = web.client.get("/preferences")
    assert response.status_code == 502
    assert "couldn&#39;t reach our messaging service" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("GET", "/nowhere", 404, "Page not found"),
        ("GET", "/logout", 405, "That request didn"),
        ("POST", "/login", 413, "That was too much"),
    ],
)
def test_error_pages_are_friendly_html(web, method, path, status, title) -> None:
    data = {"big": "x" * (100 * 1024)} if status == 413 else None
    response = web.client.open(path, method=method, data=data)
    assert response.status_code == status
    assert response.content_type.startswith("text/html")
    assert title in response.get_data(as_text=True)


def test_htmx_requests_from_a_signed_out_browser_get_401(web) -> None:
    response = web.client.get("/preferences", headers={"HX-Request": "true"})
    assert response.status_code == 401
    fragment = response.get_data(as_text=True)
    assert fragment.startswith('<div class="notice notice-error">')  # the live region's content
    assert "You&#39;ve been signed out." in fragment and ">Sign in again</a>" in fragment


def test_unexpected_errors_are_a_friendly_500_without_a_trace(web) -> None:
    @web.app.get("/boom")
    def boom() -> str:
        raise RuntimeError("internal detail sk_should_not_show")

    response = web.client.get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page
    assert "internal detail" not in page and "Traceback" not in page


def test_api_errors_are_json(web) -> None:
    response = web.client.get("/api/nowhere")
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "message": "There's nothing at this address."}


def test_no_key_or_token_leaks_into_logs_or_other_responses(web, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    responses = [web.client.get("/"), web.client.get("/login"), web.sign_in()]
    page = web.client.get("/preferences")
    minted = web.mint()
    responses += [web.client.get("/"), web.client.get("/nowhere"), web.client.get("/api/x")]
    tokens = {minted.json["token"]}
    text = page.get_data(as_text=True)
    marker = 'data-token="'
    tokens.add(
        text[text.index(marker) + len(marker) : text.index('"', text.index(marker) + len(marker))]
    )
    assert all(jwt.get_unverified_header(t)["alg"] == "HS256" for t in tokens)
    assert SECRET_KEY not in text and SECRET_KEY not in minted.get_data(as_text=True)
    for response in responses:
        seen = response.get_data(as_text=True) + str(response.headers)
        assert SECRET_KEY not in seen
        assert not any(token in seen for token in tokens)
    assert "spotzee POST" in caplog.text  # the upstream calls were logged
    assert SECRET_KEY not in caplog.text and PUBLISHABLE_KEY not in caplog.text
    assert not any(token in caplog.text for token in tokens)


def test_the_client_never_shows_its_key(web) -> None:
    assert SECRET_KEY not in repr(web.app.extensions["spotzee"])


def test_an_answer_that_is_not_spotzees_json_is_a_bad_gateway_not_a_500(
    make_web, proxy_page
) -> None:
    """What answered was not Spotzee (a proxy's page): 502, with Retry-After, never a 500."""
    web = make_web(SPOTZEE_API_BASE=proxy_page)
    web.sign_in()
    minted = web.mint()
    assert minted.status_code == 502
    assert minted.json["error"] == "upstream_error"
    assert minted.headers["Retry-After"]
    page = web.client.get("/preferences")
    assert page.status_code == 502
    assert "try again" in page.get_data(as_text=True).lower()
