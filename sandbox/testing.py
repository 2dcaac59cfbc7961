"""Run a real sandbox on a free loopback port inside a test process.

    with running_sandbox(tmp_path / "sandbox.sqlite3") as base_url:
        requests.get(f"{base_url}/api/client/users/me", ...)

The server speaks real HTTP on its own threads, so the code under test cannot tell it from
a sandbox (or Spotzee) running elsewhere. `SandboxClient` wraps the API and the test
controls of any running sandbox. Brands can use both in their own test suites.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tooling.devserver import KeepAliveHandler, in_thread

from . import create_app
from .fixture import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY


class QuietHandler(KeepAliveHandler):
    """The sandbox logs every request itself, with what a client sent escaped; Werkzeug's
    access line would repeat it with the path's UTF-8 decoded raw (U+2028 included), as
    `python -m sandbox` already avoids by silencing it."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def running_sandbox(database: str | Path, *, controls: bool = True, **config: Any) -> Iterator[str]:
    """Serve a sandbox with a fresh database; yield its base URL (no trailing slash)."""
    app = create_app({"DATABASE": str(database), "CONTROLS": controls, **config})
    with in_thread(app, name="sandbox", request_handler=QuietHandler) as url:
        yield url


@dataclass
class SandboxClient:
    """A running sandbox (here or anywhere) and the calls tests make to it."""

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
        key: str | None = DEFAULT_SECRET_KEY,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        sent = dict(headers or {})
        if key is not None:
            sent.setdefault("Authorization", f"Bearer {key}")
        if token is not None:
            sent.setdefault("X-Spotzee-Contact-Token", token)
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, f"{self.api}{path}", headers=sent, **kwargs)

    def mint(self, external_id: str = "cust-9f4b21") -> str:
        response = self.call("POST", f"/users/{external_id}/sessions")
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def me(self, token: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", "/users/me", key=DEFAULT_PUBLISHABLE_KEY, token=token, **kwargs)

    def toggle(self, token: str, changes: Any, **kwargs: Any) -> requests.Response:
        return self.call(
            "PATCH",
            "/subscriptions/me",
            key=DEFAULT_PUBLISHABLE_KEY,
            token=token,
            json=changes,
            **kwargs,
        )

    def control(self, method: str, name: str, body: Any = None) -> requests.Response:
        # The controls take every POST as JSON, even one without a body (reset).
        headers = {"Content-Type": "application/json"} if method != "GET" else {}
        return self.http.request(
            method, f"{self.url}/_sandbox/{name}", json=body, headers=headers, timeout=10
        )

    def fault(self, **fault: Any) -> None:
        assert self.control("POST", "faults", fault).status_code == 201

    def advance(self, seconds: float) -> None:
        assert self.control("POST", "clock", {"advance_seconds": seconds}).status_code == 200

    def reset(self) -> None:
        assert self.control("POST", "reset").status_code == 200

    def log(self) -> list[dict[str, Any]]:
        return self.control("GET", "requests").json()["requests"]

    def states(
        self, external_id: str = "cust-9f4b21", *, key: str = DEFAULT_SECRET_KEY
    ) -> dict[int, int]:
        response = self.call(
            "GET", f"/users/{external_id}/subscriptions", key=key, params={"limit": 100}
        )
        assert response.status_code == 200, response.text
        return {item["subscription_id"]: item["state"] for item in response.json()["results"]}
