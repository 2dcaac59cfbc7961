"""Web app: signing in and out, the sign-in limits (also under concurrency and behind a
proxy), sessions that end on the server, CSRF, and log lines a client cannot forge."""

from __future__ import annotations

import concurrent.futures
import logging
import time

import pytest
import requests

from tests.support import csrf_of, served

# -- signing in ---------------------------------------------------------------------------


def test_signing_in_redirects_to_the_preferences_with_a_hardened_cookie(web) -> None:
    response = web.sign_in()
    assert response.status_code == 303
    assert response.headers["Location"] == "/preferences"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert web.client.get("/login").status_code == 303  # already signed in


def test_the_cookie_is_secure_when_served_over_https(web) -> None:
    response = web.client.post(
        "/login",
        data={"email": "jane@example.com", "password": "demo", "csrf_token": web.csrf("/login")},
        base_url="https://localhost",
    )
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("email", "password"), [("jane@example.com", "wrong"), ("nobody@example.com", "demo")]
)
def test_wrong_credentials_are_refused_politely(web, email, password) -> None:
    response = web.sign_in(email, password)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "That email and password don&#39;t match" in page
    assert web.client.get("/preferences").status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "says"),
    [("", "", "Enter your email and password"), ("jane@example.com", "", "Enter your password")],
)
def test_an_empty_form_says_what_is_missing_and_is_not_an_attempt(web, email, password, says):
    for _ in range(6):
        response = web.sign_in(email, password)
        assert response.status_code == 400
        assert says in response.get_data(as_text=True)
    assert web.sign_in().status_code == 303  # none of them counted


def test_emails_are_matched_without_regard_to_case(web) -> None:
    assert web.sign_in("Jane@Example.com").status_code == 303


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_only_a_post_signs_in(web, method) -> None:
    """HEAD used to run the sign-in, skipping the CSRF check and the limit."""
    credentials = {"email": "jane@example.com", "password": "demo"}
    for _ in range(7):
        response = web.client.open(
            "/login", method=method, query_string=credentials, data=credentials
        )
        assert response.status_code == 200
    assert web.client.get("/preferences").status_code == 302  # still signed out
    assert web.sign_in().status_code == 303  # and nothing was counted


def test_repeated_failed_sign_ins_are_slowed_with_a_friendly_page(web) -> None:
    for _ in range(5):
        assert web.sign_in("jane@example.com", "wrong").status_code == 401
    throttled = web.sign_in("jane@example.com", "demo")
    assert throttled.status_code == 429
    assert "Too many attempts" in throttled.get_data(as_text=True)
    assert throttled.headers["Retry-After"] == "60"


def test_a_successful_sign_in_counts_for_nothing(web) -> None:
    """Neither against the email (its count starts again) nor against the address."""
    for _ in range(2):  # 4 failures in all: under the address's 5
        for _ in range(2):
            assert web.sign_in("jane@example.com", "wrong").status_code == 401
        assert web.sign_in().status_code == 303
        web.client.post("/logout", data={"csrf_token": web.csrf()})
        for _ in range(6):
            assert web.sign_in("omar@example.com").status_code == 303
            web.client.post("/logout", data={"csrf_token": web.csrf()})


def test_parallel_guesses_reach_the_password_check_five_times_at_most(make_web) -> None:
    """Every attempt is counted before the password is checked: 40 guesses at once, 5 checks."""
    web = make_web()

    def guess(base: str, number: int) -> int:
        with requests.Session() as browser:
            token = csrf_of(browser.get(f"{base}/login", timeout=10).text)
            return browser.post(
                f"{base}/login",
                data={
                    "email": "omar@example.com",
                    "password": f"guess-{number}",
                    "csrf_token": token,
                },
                allow_redirects=False,
                timeout=30,
            ).status_code

    with served(web.app) as base, concurrent.futures.ThreadPoolExecutor(40) as pool:
        statuses = list(pool.map(lambda n: guess(base, n), range(40)))
    assert statuses.count(401) == 5
    assert statuses.count(429) == 35


# -- sessions that end on the server -----------------------------------------------------


def stolen_cookie(web) -> str:
    return web.client.get_cookie("session").value


def replay(web, cookie: str, method: str, path: str, **kwargs):
    """A request from someone who copied the cookie: a client of its own."""
    thief = web.app.test_client()
    thief.set_cookie("session", cookie)
    return thief.open(path, method=method, **kwargs)


def test_a_cookie_copied_before_signing_out_is_worthless_after(web) -> None:
    web.sign_in()
    csrf = web.csrf()
    copied = stolen_cookie(web)
    assert replay(web, copied, "GET", "/preferences").status_code == 200
    assert web.client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert replay(web, copied, "GET", "/preferences").status_code == 302
    minted = replay(web, copied, "POST", "/api/contact-session", headers={"X-CSRFToken": csrf})
    assert minted.status_code == 401
    changed = replay(
        web,
        copied,
        "POST",
        "/preferences/subscriptions/15",
        data={"csrf_token": csrf, "subscribed": "1", "contact_token": web.sandbox.mint()},
    )
    assert changed.status_code == 401
    assert web.sandbox.states()[15] == 0


def test_signing_out_everywhere_ends_every_session_of_the_customer(web) -> None:
    web.sign_in()
    laptop = stolen_cookie(web)
    phone = web.app.test_client()
    phone.post(
        "/login",
        data={
            "email": "jane@example.com",
            "password": "demo",
            "csrf_token": csrf_of(phone.get("/login").get_data(as_text=True)),
        },
    )
    assert phone.get("/preferences").status_code == 200
    result = web.app.test_cli_runner().invoke(args=["customers", "sign-out", "jane@example.com"])
    assert result.exit_code == 0, result.output
    assert "Signed jane@example.com out everywhere" in result.output
    assert phone.get("/preferences").status_code == 302
    assert replay(web, laptop, "GET", "/preferences").status_code == 302
    assert web.sign_in().status_code == 303  # and she can sign in again


@pytest.mark.parametrize(
    ("field", "ago"),
    [("seen_at", 31 * 60), ("signed_in_at", 12 * 3600 + 60)],
    ids=["idle-30-minutes", "older-than-12-hours"],
)
def test_a_session_ends_when_idle_or_too_old(web, field, ago) -> None:
    web.sign_in()
    assert web.client.get("/preferences").status_code == 200
    with web.client.session_transaction() as session:  # as if that much time had passed
        session[field] = time.time() - ago
    assert web.client.get("/preferences").status_code == 302


def test_an_active_session_stays_signed_in(web) -> None:
    web.sign_in()
    with web.client.session_transaction() as session:
        session["seen_at"] = time.time() - 29 * 60
    assert web.client.get("/preferences").status_code == 200
    with web.client.session_transaction() as session:
        assert time.time() - session["seen_at"] < 5  # used just now


def test_signing_out_needs_a_post_with_the_csrf_token(web) -> None:
    web.sign_in()
    assert web.client.get("/logout").status_code == 405
    assert web.client.post("/logout").status_code == 403
    assert web.client.get("/preferences").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/logout"),
        ("POST", "/preferences/subscriptions/7"),
        ("POST", "/preferences/unsubscribe/all"),
        ("POST", "/api/contact-session"),
        ("GET", "/nowhere"),
        ("GET", "/logout"),
        ("POST", "/"),
    ],
)
def test_no_other_site_can_replace_or_end_a_session(web, method, path) -> None:
    """A cross-site request (no CSRF token) and error pages never write the cookie."""
    web.sign_in()
    response = web.client.open(path, method=method, headers={"Origin": "https://evil.example"})
    assert response.status_code in (401, 403, 404, 405)
    assert "Set-Cookie" not in response.headers
    assert web.client.get("/preferences").status_code == 200


@pytest.mark.parametrize("path", ["/", "/nowhere", "/healthz"])
def test_pages_that_need_no_session_start_none(web, path) -> None:
    assert "Set-Cookie" not in web.client.get(path).headers


# -- next ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
    ],
)
def test_next_accepts_only_same_site_paths(web, target) -> None:
    response = web.client.post(
        "/login",
        data={
            "email": "jane@example.com",
            "password": "demo",
            "next": target,
            "csrf_token": web.csrf("/login"),
        },
    )
    assert response.headers["Location"] == "/preferences"


def test_next_keeps_a_same_site_path(web) -> None:
    response = web.client.post(
        "/login",
        data={
            "email": "jane@example.com",
            "password": "demo",
            "next": "/preferences?from=email",
            "csrf_token": web.csrf("/login"),
        },
    )
    assert response.headers["Location"] == "/preferences?from=email"


def test_a_signed_out_visit_is_sent_to_sign_in_and_back(web) -> None:
    response = web.client.get("/preferences")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fpreferences"


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_sign_in_without_the_right_csrf_token_is_refused(web, token) -> None:
    data = {"email": "jane@example.com", "password": "demo"}
    if token:
        data["csrf_token"] = token
    response = web.client.post("/login", data=data)
    assert response.status_code == 403
    assert "Your session changed" in response.get_data(as_text=True)


def test_the_session_is_renewed_at_sign_in(web) -> None:
    before = web.csrf("/login")
    web.sign_in()
    assert web.csrf() != before


# -- logs --------------------------------------------------------------------------------


def test_what_a_client_sends_never_writes_a_log_line_of_its_own(web, caplog) -> None:
    caplog.set_level(logging.DEBUG)

    @web.app.get("/boom/<rest>")
    def boom(rest: str) -> str:
        raise RuntimeError("boom")

    forged = "\nWARNING backend.auth customer 1 signed in"
    for _ in range(7):
        web.sign_in(f"mallory@example.com{forged}", "wrong")
    assert web.client.get("/boom/x%0aWARNING%20forged%20line").status_code == 500
    lines = caplog.text.splitlines()
    assert not any(line.startswith("WARNING backend.auth customer") for line in lines)
    assert not any(line.startswith("WARNING forged") for line in lines)
    assert "mallory" not in caplog.text  # limiter keys carry a digest, not the email


# -- behind a proxy -------------------------------------------------------------------------


def sign_in_from(web, address: str, password: str, **headers: str):
    return web.client.post(
        "/login",
        data={"email": "omar@example.com", "password": password, "csrf_token": web.csrf("/login")},
        headers={"X-Forwarded-For": address, **headers},
    )


def test_behind_a_trusted_proxy_one_client_cannot_lock_out_another(make_web) -> None:
    web = make_web(TRUSTED_PROXY_HOPS=1)
    for _ in range(5):
        assert sign_in_from(web, "203.0.113.7", "wrong").status_code == 401
    assert sign_in_from(web, "203.0.113.7", "wrong").status_code == 429
    web.client.delete_cookie("session")
    assert web.sign_in("jane@example.com", "demo").status_code == 303  # another address
    assert web.client.get("/preferences").status_code == 200


def test_without_trusted_proxies_forwarded_headers_are_ignored(web) -> None:
    for number in range(5):
        assert sign_in_from(web, f"203.0.113.{number}", "wrong").status_code == 401
    assert sign_in_from(web, "198.51.100.1", "demo").status_code == 429  # same real address
    response = web.client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def test_an_https_request_through_a_trusted_proxy_gets_hsts_and_a_secure_cookie(make_web):
    web = make_web(TRUSTED_PROXY_HOPS=1)
    secure = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "prefs.brand.example",
        # Over https, Flask-WTF also wants a same-site Referer, as browsers send one.
        "Referer": "https://prefs.brand.example/login",
    }
    response = sign_in_from(web, "203.0.113.9", "demo", **secure)
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert response.headers["Location"] == "/preferences"
