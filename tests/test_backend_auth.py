"""Web app: signing in and out, throttling, redirects after sign-in, and CSRF."""

from __future__ import annotations

import pytest


def test_signing_in_redirects_to_the_preferences_with_a_hardened_cookie(web) -> None:
    response = web.sign_in()
    assert response.status_code == 303
    assert response.headers["Location"] == "/preferences"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert web.client.get("/login").status_code == 303  # already signed in


def test_the_cookie_is_secure_when_served_over_https(web) -> None:
    web.app.config["SESSION_COOKIE_SECURE"] = True
    assert "Secure" in web.sign_in().headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("email", "password"), [("jane@example.com", "wrong"), ("nobody@example.com", "demo"), ("", "")]
)
def test_wrong_credentials_are_refused_politely(web, email, password) -> None:
    response = web.sign_in(email, password)
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "That email and password don&#39;t match" in page
    assert web.client.get("/preferences").status_code == 302


def test_emails_are_matched_without_regard_to_case(web) -> None:
    assert web.sign_in("Jane@Example.com").status_code == 303


def test_signing_out_ends_the_session(web) -> None:
    web.sign_in()
    response = web.client.post("/logout", data={"csrf_token": web.csrf("/")})
    assert response.status_code == 303
    assert web.client.get("/preferences").headers["Location"].startswith("/login")


def test_signing_out_needs_a_post_with_the_csrf_token(web) -> None:
    web.sign_in()
    assert web.client.get("/logout").status_code == 405
    assert web.client.post("/logout").status_code == 403
    assert web.client.get("/preferences").status_code == 200


def test_repeated_failed_sign_ins_are_slowed_with_a_friendly_page(web) -> None:
    for _ in range(5):
        assert web.sign_in("jane@example.com", "wrong").status_code == 401
    throttled = web.sign_in("jane@example.com", "demo")
    assert throttled.status_code == 429
    assert "Too many attempts" in throttled.get_data(as_text=True)
    assert throttled.headers["Retry-After"] == "60"


def test_successful_sign_ins_do_not_count_towards_the_throttle(web) -> None:
    for _ in range(6):
        assert web.sign_in().status_code == 303


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
            "csrf_token": web.csrf(),
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
            "csrf_token": web.csrf(),
        },
    )
    assert response.headers["Location"] == "/preferences?from=email"


def test_a_signed_out_visit_is_sent_to_sign_in_and_back(web) -> None:
    response = web.client.get("/preferences")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/preferences"


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_sign_in_without_the_right_csrf_token_is_refused(web, token) -> None:
    data = {"email": "jane@example.com", "password": "demo"}
    if token:
        data["csrf_token"] = token
    response = web.client.post("/login", data=data)
    assert response.status_code == 403
    assert "Your session changed" in response.get_data(as_text=True)


def test_every_page_carries_the_csrf_meta_tag(web) -> None:
    assert web.csrf("/") and web.csrf("/login")


def test_the_session_is_renewed_at_sign_in(web) -> None:
    before = web.csrf()
    web.sign_in()
    assert web.csrf("/") != before
