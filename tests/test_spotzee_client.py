"""The Spotzee client on its own: one transport, the publishable key's allow-list, what a
failure says (and never says), and how its environment is read."""

from __future__ import annotations

import concurrent.futures
import http.server
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest

from spotzee import (
    ContactClient,
    NotAllowed,
    SecretClient,
    SpotzeeError,
    SpotzeeUnavailable,
    SubscriptionState,
    Transport,
)
from tests.support import JANE, PUBLISHABLE_KEY, SECRET_KEY
from tooling.devserver import free_port


def contact_client(sandbox, **kwargs) -> ContactClient:
    return ContactClient(Transport(sandbox.api, read_timeout=2), PUBLISHABLE_KEY, **kwargs)


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
def test_the_publishable_key_reaches_only_the_two_preference_endpoints(
    sandbox, method, path
) -> None:
    with pytest.raises(NotAllowed):
        contact_client(sandbox).call(method, path, "any-token")
    assert sandbox.log() == []


def test_the_contact_client_reads_the_tokens_contact(sandbox) -> None:
    contact = contact_client(sandbox).current_contact(sandbox.mint())
    assert contact.external_id == JANE and contact.email == "jane@example.com"


def test_the_token_travels_in_the_header_spotzee_documents_today(sandbox) -> None:
    client = contact_client(sandbox)
    saved = client.set_states(sandbox.mint(), [(15, SubscriptionState.SUBSCRIBED)])
    assert {s.subscription_id: s.state for s in saved.states}[15] is SubscriptionState.SUBSCRIBED
    assert saved.request_id and saved.request_id.startswith("req_")
    assert sandbox.states()[15] == 1


def test_a_refusal_is_spotzees_verdict_and_names_no_secret(sandbox) -> None:
    token = sandbox.mint()
    sandbox.advance(901)
    with pytest.raises(SpotzeeError) as refused:
        contact_client(sandbox).set_states(token, [(7, SubscriptionState.SUBSCRIBED)])
    error = refused.value
    assert error.status == 401 and error.token_rejected and not error.outcome_unknown
    assert error.request_id and error.request_id.startswith("req_")
    assert PUBLISHABLE_KEY not in str(error) and token not in str(error)


def test_a_connection_refused_was_never_sent_so_nothing_is_in_doubt() -> None:
    client = ContactClient(Transport(f"http://127.0.0.1:{free_port()}/api/client"), "pk_x")
    started = time.monotonic()
    with pytest.raises(SpotzeeUnavailable) as failed:
        client.set_states("token", [(7, SubscriptionState.SUBSCRIBED)])
    assert failed.value.status == 0 and not failed.value.sent
    assert not failed.value.outcome_unknown
    assert time.monotonic() - started < client.reconcile_seconds  # no reconciling


def test_no_time_left_means_no_call(sandbox) -> None:
    server = SecretClient(Transport(sandbox.api), SECRET_KEY)
    with pytest.raises(SpotzeeUnavailable):
        server.get_contact(JANE, deadline=time.monotonic() - 1)
    assert sandbox.log() == []


def test_the_secret_client_never_shows_its_key(sandbox) -> None:
    server = SecretClient(Transport(sandbox.api), SECRET_KEY)
    assert SECRET_KEY not in repr(server)
    with pytest.raises(SpotzeeError) as missing:
        server.mint_contact_session("nobody-here")
    assert missing.value.status == 404 and SECRET_KEY not in str(missing.value)


@pytest.mark.parametrize("external_id", ["..", ".", ""])
def test_an_external_id_that_would_name_another_path_is_never_sent(sandbox, external_id) -> None:
    """`..` would become /users/../sessions, which a client sends as /sessions."""
    server = SecretClient(Transport(sandbox.api), SECRET_KEY)
    with pytest.raises(ValueError, match="cannot be a path segment"):
        server.mint_contact_session(external_id)
    assert sandbox.log() == []


def test_the_transport_reads_the_environments_proxy_once(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    through = Transport("https://api.spotzee.example/api/client")
    assert through._session.proxies["https"] == "http://proxy.internal:3128"
    assert through._session.trust_env is False  # not read again on every call

    monkeypatch.setenv("NO_PROXY", "api.spotzee.example")
    assert "https" not in Transport("https://api.spotzee.example/api/client")._session.proxies


def test_the_transport_trusts_the_environments_ca_bundle(monkeypatch, tmp_path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    assert Transport("https://api.spotzee.example")._session.verify == str(bundle)


def test_concurrent_calls_keep_their_connections_to_spotzee(sandbox, caplog) -> None:
    """One transport serves every thread of a worker; its pool keeps a connection for each
    call in flight rather than opening and dropping them (urllib3 keeps one by default)."""
    client = contact_client(sandbox)
    token = sandbox.mint()
    sandbox.fault(method="GET", path="/users/me", latency_ms=300, count=8)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        contacts = list(pool.map(lambda _: client.current_contact(token), range(8)))
    assert [contact.external_id for contact in contacts] == [JANE] * 8
    assert "pool is full" not in caplog.text


class CookieSetter(http.server.BaseHTTPRequestHandler):
    """Sets a cookie on every answer and remembers the Cookie headers it was sent."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        CookieSetter.seen.append(self.headers.get("Cookie"))
        body = b'{"external_id": "x"}'
        self.send_response(200)
        self.send_header("Set-Cookie", "tracker=customer-one; Path=/")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def cookie_setter() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), CookieSetter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    CookieSetter.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_one_customers_cookie_never_travels_with_the_next_customers_call(cookie_setter) -> None:
    """The transport is shared by every customer: it keeps no cookies."""
    transport = Transport(cookie_setter)
    transport.send("GET", "/users/me", key="pk_one")
    transport.send("GET", "/users/me", key="pk_two")
    assert CookieSetter.seen == [None, None]
