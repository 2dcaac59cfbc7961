"""Shared fixtures: a real sandbox on a free port with a fresh database for every test."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import session
from flask_wtf.csrf import generate_csrf

from sandbox.testing import running_sandbox
from tooling import stack

from .support import JANE, LINK_KEY, PUBLISHABLE_KEY, ROOT, SECRET_KEY, Sandbox, csrf_of


@pytest.fixture(scope="session", autouse=True)
def catalogues() -> None:
    """The .mo files the app reads, built from the committed .po files as make does, where
    make has not already (run on its own, the suite needs no make step first)."""
    for po in ROOT.glob("translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source, mo.open("wb") as target:
            write_mo(target, read_po(source))


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
        self.seen = 0

    def csrf(self, path: str | None = None) -> str:
        """The session's CSRF token: as `path` shows it (a meta tag or a form field), or, by
        default, as any page of this session would (without loading one, which would mint)."""
        if path is None:
            with self.client.session_transaction() as kept, self.app.test_request_context():
                session.update(kept)
                token = generate_csrf()
                kept.update(session)
            return token
        return csrf_of(self.client.get(path).get_data(as_text=True))

    def sign_in(self, email: str = "jane@example.com", password: str = "demo") -> Any:
        response = self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": self.csrf("/login")}
        )
        self.seen = len(self.sandbox.log())
        return response

    def signed_in(self) -> bool:
        with self.client.session_transaction() as kept:
            return "_user_id" in kept

    def hand_out(self, token: str, external_id: str = JANE) -> None:
        """Note `token` in this session as the app notes each token it hands out."""
        from backend.tokens import HANDED_OUT, fingerprint

        with self.client.session_transaction() as kept:
            kept[HANDED_OUT] = [[external_id, [fingerprint(token)]]]

    def upstream(self, path: str) -> list[dict[str, Any]]:
        """What Spotzee was asked on `path` since the last sign-in (and its page load)."""
        return [e for e in self.sandbox.log()[self.seen :] if e["path"] == path]

    def mint(self, link: str = "", **headers: str) -> Any:
        """Ask the app for a token as the page's script does (`link`: a preference link's
        path, for that link's page)."""
        path = f"{link}/contact-session" if link else "/api/contact-session"
        return self.client.post(path, headers={"X-CSRFToken": self.csrf(), **headers})

    def token(self, link: str = "") -> str:
        """A contact session token the app handed this browser: the only kind its relay
        spends (a token minted straight from Spotzee is refused)."""
        response = self.mint(link)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["token"]


@pytest.fixture
def make_web(sandbox: Sandbox, tmp_path) -> Callable[..., Web]:
    """A web app wired to the sandbox, configured as a test needs it:
    `make_web(PAGE_DEADLINE_SECONDS=1)`."""
    from backend import create_app

    def make(**config: Any) -> Web:
        app = create_app(
            {
                "TESTING": True,
                "DEMO": True,
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


@pytest.fixture
def linked(make_web: Callable[..., Web]) -> Web:
    """The web app with a known link key (LINK_KEY), for preference links."""
    return make_web(LINK_SECRET_KEY=LINK_KEY)


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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server (Debian's; make test installs it) on a free port: its URL."""
    with stack.redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The shared Redis, emptied for this test."""
    redis.Redis.from_url(redis_server).flushall()
    return redis_server
