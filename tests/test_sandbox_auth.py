"""Sandbox: API keys, the publishable-key allow-list, and contact session tokens."""

from __future__ import annotations

import base64
import json
import sqlite3
from contextlib import closing

import jwt
import pytest

from tests.support import JANE, OMAR, PUBLISHABLE_KEY, SECRET_KEY

OTHER_SECRET = "sk_other_project_secret_0001"
OTHER_PUBLISHABLE = "pk_other_project_publishable_0001"

TWO_PROJECTS = {
    "projects": [
        {
            "id": 42,
            "name": "Brand A",
            "keys": [
                {"value": SECRET_KEY, "scope": "secret", "role": "admin"},
                {"value": PUBLISHABLE_KEY, "scope": "public"},
                {"value": "sk_brand_a_support_only_01", "scope": "secret", "role": "support"},
            ],
            "subscriptions": [{"id": 7, "name": "News", "channel": "email", "is_public": True}],
            "contacts": [{"id": 1024, "external_id": JANE, "email": "jane@example.com"}],
        },
        {
            "id": 77,
            "name": "Brand B",
            "keys": [
                {"value": OTHER_SECRET, "scope": "secret", "role": "admin"},
                {"value": OTHER_PUBLISHABLE, "scope": "public"},
            ],
            "subscriptions": [{"id": 70, "name": "B news", "channel": "email", "is_public": True}],
            "contacts": [{"id": 2048, "external_id": "b-1", "email": "b@example.com"}],
        },
    ]
}


def assert_auth_error(response, param: str) -> None:
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "authentication_required"
    assert body["param"] == param


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic abc",
        "Bearer sk_unknown_key_000000",
        "Bearer not-a-key",
        f"Token {SECRET_KEY}",
    ],
)
def test_missing_unknown_or_malformed_keys_are_refused(sandbox, authorization) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = sandbox.call("GET", f"/users/{JANE}", key=None, headers=headers)
    assert_auth_error(response, "Authorization")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/users/{JANE}/sessions"),
        ("GET", f"/users/{JANE}"),
        ("GET", f"/users/{JANE}/subscriptions"),
        ("PATCH", f"/users/{JANE}/subscriptions"),
        ("GET", "/subscriptions"),
        ("POST", "/subscriptions"),
        ("POST", "/users/batch"),
        ("POST", "/subscriptions/batch"),
        ("GET", "/subscriptions/7"),
    ],
)
def test_a_publishable_key_is_refused_outside_its_allow_list(sandbox, method, path) -> None:
    response = sandbox.call(method, path, key=PUBLISHABLE_KEY, json=[])
    assert_auth_error(response, "Authorization")


@pytest.mark.parametrize(("method", "path"), [("GET", "/users/me"), ("PATCH", "/subscriptions/me")])
def test_a_secret_key_is_refused_on_the_me_endpoints(sandbox, method, path) -> None:
    token = sandbox.mint()
    response = sandbox.call(
        method, path, key=SECRET_KEY, token=token, json=[{"subscription_id": 7, "state": 1}]
    )
    assert_auth_error(response, "Authorization")


def test_a_publishable_key_may_track_events(sandbox) -> None:
    response = sandbox.call(
        "POST",
        "/events",
        key=PUBLISHABLE_KEY,
        json=[{"name": "viewed_preferences", "external_id": JANE}],
    )
    assert response.status_code == 204


def test_a_secret_key_with_too_low_a_role_is_forbidden_to_write(sandbox) -> None:
    sandbox.control("POST", "seed", TWO_PROJECTS)
    support = "sk_brand_a_support_only_01"
    assert sandbox.call("GET", f"/users/{JANE}", key=support).status_code == 200
    response = sandbox.call(
        "PATCH",
        f"/users/{JANE}/subscriptions",
        key=support,
        json=[{"subscription_id": 7, "state": 0}],
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert sandbox.call("POST", f"/users/{JANE}/sessions", key=support).status_code == 403


def test_a_minted_token_is_an_hs256_jwt_bound_to_the_contact_for_15_minutes(sandbox) -> None:
    response = sandbox.call("POST", f"/users/{JANE}/sessions")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    header = jwt.get_unverified_header(body["token"])
    assert header["alg"] == "HS256"
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["exp"] == claims["iat"] + 900
    assert claims["project_id"] == 42 and claims["external_id"] == JANE
    assert body["expires_at"] == jwt_time(claims["exp"])
    me = sandbox.me(body["token"])
    assert me.status_code == 200 and me.json()["external_id"] == JANE


def jwt_time(exp: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(exp, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_every_token_has_a_unique_jti(sandbox) -> None:
    ids = {jwt.decode(sandbox.mint(), options={"verify_signature": False})["jti"] for _ in range(5)}
    assert len(ids) == 5


def test_minting_resolves_external_id_then_numeric_id(sandbox) -> None:
    by_number = sandbox.call("POST", "/users/1025/sessions")
    assert by_number.status_code == 200
    assert sandbox.me(by_number.json()["token"]).json()["external_id"] == OMAR


@pytest.mark.parametrize("user_id", ["\u00b9", "\u0663", "1\u00b2", "\uff11\uff10\uff12\uff15"])
def test_a_user_id_of_non_ascii_digits_is_an_unknown_contact(sandbox, user_id) -> None:
    """'¹', Arabic-Indic and full-width digits pass str.isdigit(); none is a numeric id."""
    for method, path in (("POST", f"/users/{user_id}/sessions"), ("GET", f"/users/{user_id}")):
        response = sandbox.call(method, path)
        assert response.status_code == 404
        assert response.json()["param"] == "userId"


def test_minting_for_an_unknown_contact_is_404_naming_user_id(sandbox) -> None:
    response = sandbox.call("POST", "/users/cust-nobody/sessions")
    assert response.status_code == 404
    assert response.json()["code"] == "resource_missing"
    assert response.json()["param"] == "userId"


def test_both_token_header_names_are_accepted(sandbox) -> None:
    token = sandbox.mint()
    newer = sandbox.call(
        "GET", "/users/me", key=PUBLISHABLE_KEY, headers={"X-Spotzee-User-Token": token}
    )
    assert newer.status_code == 200
    both = sandbox.call(
        "GET",
        "/users/me",
        key=PUBLISHABLE_KEY,
        token=token,
        headers={"X-Spotzee-User-Token": token},
    )
    assert both.status_code == 200


def test_two_different_tokens_in_the_two_headers_are_refused(sandbox) -> None:
    response = sandbox.call(
        "GET",
        "/users/me",
        key=PUBLISHABLE_KEY,
        token=sandbox.mint(),
        headers={"X-Spotzee-User-Token": sandbox.mint(OMAR)},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parameter_invalid_format"


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "1025"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def unsigned(token: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{head}.{body}."


@pytest.mark.parametrize(
    "make_token",
    [
        lambda t: None,
        lambda t: "",
        lambda t: "garbage",
        tampered,
        unsigned,
        lambda t: jwt.encode(
            jwt.decode(t, options={"verify_signature": False}),
            "a-guessed-secret-of-thirty-two-bytes",
            algorithm="HS256",
        ),
    ],
    ids=["missing", "empty", "garbage", "tampered", "alg-none", "wrong-secret"],
)
def test_bad_tokens_are_refused_naming_the_token_header(sandbox, make_token) -> None:
    token = make_token(sandbox.mint())
    response = sandbox.me(token)
    assert_auth_error(response, "X-Spotzee-Contact-Token")


def test_a_token_names_the_header_it_came_in(sandbox) -> None:
    response = sandbox.call(
        "GET", "/users/me", key=PUBLISHABLE_KEY, headers={"X-Spotzee-User-Token": "garbage"}
    )
    assert_auth_error(response, "X-Spotzee-User-Token")


def test_a_token_expires_after_15_minutes_by_the_sandbox_clock(sandbox) -> None:
    """Measured from the token's own expiry, so a slow machine cannot make the test late."""
    token = sandbox.mint()
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    now = sandbox.control("GET", "clock").json()["unix"]
    sandbox.advance(max(0, expires - now - 3))  # three seconds left
    assert sandbox.me(token).status_code == 200
    sandbox.advance(3)
    assert_auth_error(sandbox.me(token), "X-Spotzee-Contact-Token")


def test_a_token_from_another_project_is_refused(sandbox) -> None:
    sandbox.control("POST", "seed", TWO_PROJECTS)
    other = sandbox.call("POST", "/users/b-1/sessions", key=OTHER_SECRET).json()["token"]
    assert sandbox.call("GET", "/users/me", key=OTHER_PUBLISHABLE, token=other).status_code == 200
    assert_auth_error(sandbox.me(other), "X-Spotzee-Contact-Token")


def test_a_token_for_a_deleted_contact_is_refused(sandbox) -> None:
    token = sandbox.mint()
    assert sandbox.call("DELETE", f"/users/{JANE}").status_code == 204
    assert_auth_error(sandbox.me(token), "X-Spotzee-Contact-Token")
    assert sandbox.call("GET", f"/users/{JANE}").status_code == 404


def test_a_secret_key_cannot_reach_another_projects_contacts(sandbox) -> None:
    sandbox.control("POST", "seed", TWO_PROJECTS)
    response = sandbox.call("GET", "/users/b-1", key=SECRET_KEY)
    assert response.status_code == 404
    assert response.json()["param"] == "userId"


def signing_secret(database) -> str:
    """The key a token is signed with, read where the sandbox keeps it: only a token signed
    with it can show that the claims, not the signature, are what is refused."""
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute("SELECT value FROM meta WHERE key = 'token_secret'").fetchone()[0]


def test_a_minted_token_names_the_sandbox_as_issuer_and_audience(sandbox) -> None:
    claims = jwt.decode(sandbox.mint(), options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == ("spotzee-sandbox", "spotzee-sandbox:contact-session")


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"iat": +3600, "exp": +3600},
        {"iat": +31, "exp": +31},
        {"exp": +1},
        {"exp": -1},
        {"iss": "spotzee"},
        {"aud": "someone-else"},
        {"aud": None},
        {"iss": None},
        {"iat": None},
        {"iat": 0.5, "exp": 0.5},
        {"sub": "1" * 30},
    ],
    ids=[
        "as-issued",
        "iat-an-hour-ahead",
        "iat-past-the-leeway",
        "lives-longer",
        "lives-shorter",
        "other-issuer",
        "other-audience",
        "no-audience",
        "no-issuer",
        "no-iat",
        "fractional-times",
        "huge-sub",
    ],
)
def test_token_claims_are_checked_as_their_issuer_would(sandbox, tmp_path, change) -> None:
    """Signed with the sandbox's own key, a token is still refused unless its iat is not
    ahead of the sandbox clock (30 s leeway), it lives exactly the 900 s it was issued for,
    and it names the sandbox's issuer and audience."""
    claims = jwt.decode(sandbox.mint(), options={"verify_signature": False})
    for name, value in change.items():
        if value is None:
            del claims[name]
        elif name in ("iat", "exp"):
            claims[name] += value
        else:
            claims[name] = value
    token = jwt.encode(claims, signing_secret(tmp_path / "sandbox.sqlite3"), algorithm="HS256")
    if not change:
        assert sandbox.me(token).status_code == 200
    else:
        assert_auth_error(sandbox.me(token), "X-Spotzee-Contact-Token")


def test_a_token_within_the_iat_leeway_is_accepted(sandbox, tmp_path) -> None:
    claims = jwt.decode(sandbox.mint(), options={"verify_signature": False})
    claims["iat"] += 20
    claims["exp"] += 20
    token = jwt.encode(claims, signing_secret(tmp_path / "sandbox.sqlite3"), algorithm="HS256")
    assert sandbox.me(token).status_code == 200
