"""Shared fixtures: a real sandbox on a free port with a fresh database for every test."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from sandbox.testing import running_sandbox

from .support import PUBLISHABLE_KEY, SECRET_KEY, Sandbox


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
def make_web(sandbox: Sandbox, tmp_path) -> Callable[..., Web]:
    """A web app wired to the sandbox, configured as a test needs it:
    `make_web(PAGE_DEADLINE_SECONDS=1)`."""
    from backend import create_app

    def make(**config: Any) -> Web:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE": str(tmp_path / "app.sqlite3"),
                "SPOTZEE_API_BASE": sandbox.api,
                "SPOTZEE_SECRET_KEY": SECRET_KEY,
                "SPOTZEE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
                "SPOTZEE_READ_TIMEOUT": 2.0,
                "SPOTZEE_RECONCILE_SECONDS": 3.0,
                "SECRET_KEY": "test-only-flask-secret",
                **config,
            }
        )
        return Web(app, sandbox)

    return make


@pytest.fixture
def web(make_web: Callable[..., Web]) -> Web:
    return make_web()


class ProxyPage(http.server.BaseHTTPRequestHandler):
    """What can sit between the app and Spotzee when something goes wrong on the way: an
    HTML page with a 200 status, whatever was asked."""

    def answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"<html><body>Please sign in to the network first.</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy_page() -> Iterator[str]:
    """The base URL of a server that answers everything with ProxyPage."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ProxyPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/client"
    finally:
        server.shutdown()
        server.server_close()
