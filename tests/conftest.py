"""Shared fixtures: a real sandbox on a free port with a fresh database for every test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from sandbox.fixture import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from sandbox.testing import running_sandbox

SECRET_KEY = DEFAULT_SECRET_KEY
PUBLISHABLE_KEY = DEFAULT_PUBLISHABLE_KEY
JANE = "cust-9f4b21"
OMAR = "cust-1a3b5c"


@dataclass
class Sandbox:
    """A running sandbox and the calls tests make to it."""

    url: str
    http: requests.Session

    @property
    def api(self) -> str:
        return f"{self.url}/api/client"

    def call(
        self,
        method: str,
        path: str,
        *,
        key: str | None = SECRET_KEY,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = dict(headers or {})
        if key is not None:
            sent.setdefault("Authorization", f"Bearer {key}")
        if token is not None:
            sent.setdefault("X-Spotzee-Contact-Token", token)
        return self.http.request(method, f"{self.api}{path}", headers=sent, timeout=10, **kwargs)

    def mint(self, external_id: str = JANE) -> str:
        response = self.call("POST", f"/users/{external_id}/sessions")
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def me(self, token: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", "/users/me", key=PUBLISHABLE_KEY, token=token, **kwargs)

    def toggle(self, token: str, changes: Any, **kwargs: Any) -> requests.Response:
        return self.call(
            "PATCH", "/subscriptions/me", key=PUBLISHABLE_KEY, token=token, json=changes, **kwargs
        )

    def control(self, method: str, name: str, body: Any = None) -> requests.Response:
        return self.http.request(method, f"{self.url}/_sandbox/{name}", json=body, timeout=10)

    def fault(self, **fault: Any) -> None:
        assert self.control("POST", "faults", fault).status_code == 201

    def advance(self, seconds: float) -> None:
        assert self.control("POST", "clock", {"advance_seconds": seconds}).status_code == 200

    def log(self) -> list[dict[str, Any]]:
        return self.control("GET", "requests").json()["requests"]

    def states(self, external_id: str = JANE) -> dict[int, int]:
        response = self.call("GET", f"/users/{external_id}/subscriptions", params={"limit": 100})
        return {item["subscription_id"]: item["state"] for item in response.json()["results"]}


@pytest.fixture
def sandbox(tmp_path) -> Iterator[Sandbox]:
    with running_sandbox(tmp_path / "sandbox.sqlite3") as url, requests.Session() as http:
        yield Sandbox(url=url, http=http)


class Web:
    """The web app (Flask's test client) wired to a real sandbox over HTTP."""

    def __init__(self, app: Any, sandbox: Sandbox) -> None:
        self.app = app
        self.client = app.test_client()
        self.sandbox = sandbox

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        marker = 'name="csrf-token" content="'
        start = page.index(marker) + len(marker)
        return page[start : page.index('"', start)]

    def sign_in(self, email: str = "jane@example.com", password: str = "demo") -> Any:
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf("/")}
        )

    def mint(self, **headers: str) -> Any:
        return self.client.post(
            "/api/contact-session", headers={"X-CSRFToken": self.csrf("/"), **headers}
        )


@pytest.fixture
def web(sandbox: Sandbox, tmp_path) -> Web:
    from backend import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE": str(tmp_path / "app.sqlite3"),
            "SPOTZEE_API_BASE": sandbox.api,
            "SPOTZEE_SECRET_KEY": SECRET_KEY,
            "SPOTZEE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "SPOTZEE_READ_TIMEOUT": 2.0,
            "SECRET_KEY": "test-only-flask-secret",
        }
    )
    return Web(app, sandbox)
