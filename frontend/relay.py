"""The relay from the preference centre to Spotzee's browser endpoints.

It forwards only to the configured Spotzee base URL, only `PATCH /subscriptions/me` and
`GET /users/me`, and only with the configured publishable key and the contact session token
the browser holds. It never sees the secret key: a token is all it can spend, and a token
reaches one contact only.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import requests.certs
import urllib3
from flask import g, has_request_context

API_VERSION = "2026-04-28"
ALLOWED = frozenset({("PATCH", "/subscriptions/me"), ("GET", "/users/me")})
TOKEN_HEADERS = ("X-Spotzee-Contact-Token", "X-Spotzee-User-Token")
# Kept-alive connections to Spotzee per process: one for each call in flight, and more than
# a worker has threads (urllib3 keeps one by default and opens and drops the others).
POOL_SIZE = 32

log = logging.getLogger("frontend.relay")


class RelayRefused(ValueError):
    """The relay will not forward this call (not allow-listed, or a foreign key)."""


@dataclass
class RelayFailure(Exception):
    """Spotzee did not accept the call. `status` 0: no answer (timeout, connection)."""

    status: int
    code: str | None
    message: str
    request_id: str | None = None

    @property
    def token_rejected(self) -> bool:
        return self.status == 401

    @property
    def unavailable(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


class Relay:
    """Calls to Spotzee's preference endpoints with the publishable key and a token."""

    def __init__(self, base_url: str, publishable_key: str, *, timeout: tuple[float, float]):
        self.base_url = base_url.rstrip("/")
        self.publishable_key = publishable_key
        self.timeout = timeout  # (connect, read) seconds
        self._pool = connection_pool(self.base_url)

    def check_key(self, authorization: str | None) -> None:
        """A browser may send the publishable key; any other key is refused."""
        if authorization is None:
            return
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or key.strip() != self.publishable_key:
            raise RelayRefused("only the configured publishable key is accepted")

    def call(self, method: str, path: str, token: str, body: Any = None) -> Any:
        """Forward one allow-listed call; return Spotzee's JSON or raise RelayFailure."""
        if (method, path) not in ALLOWED:
            raise RelayRefused(f"{method} {path} is not a preference endpoint")
        if not token:
            raise RelayFailure(401, "authentication_required", "No contact session token.")
        headers = upstream_headers(method, self.publishable_key, token)
        # Exactly one upstream call per change: no retries here. The customer sees an honest
        # "not saved, try again"; the browser script replays once after a token refresh.
        started = time.perf_counter()
        try:
            response = self._pool.urlopen(
                method,
                f"{self.base_url}{path}",
                body=None if body is None else json.dumps(body).encode(),
                headers=headers,
                timeout=urllib3.Timeout(connect=self.timeout[0], read=self.timeout[1]),
                retries=False,
                redirect=False,
            )
        except urllib3.exceptions.HTTPError as error:
            timed_out = isinstance(error, urllib3.exceptions.TimeoutError)
            kind = "timeout" if timed_out else "connection error"
            log.info("relay %s %s -> %s", method, path, kind)
            raise RelayFailure(0, None, f"Spotzee did not answer ({kind}).") from None
        request_id = response.headers.get("X-Request-Id")
        elapsed_ms = (time.perf_counter() - started) * 1000
        if has_request_context():  # reported in the page's Server-Timing header
            g.upstream_ms = g.get("upstream_ms", 0.0) + elapsed_ms
        log.info(
            "relay %s %s -> %s in %.0f ms (request %s)",
            method,
            path,
            response.status,
            elapsed_ms,
            request_id or "-",
        )
        if not 200 <= response.status < 300:
            raise failure_from(response)
        try:
            return json.loads(response.data)
        except ValueError:  # a proxy's page, say: a bad gateway, never a 500 of ours
            raise unreadable(request_id) from None

    def set_states(self, token: str, changes: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """PATCH /subscriptions/me; return the full refreshed list of public states."""
        body = [{"subscription_id": sub_id, "state": state} for sub_id, state in changes]
        answer = self.call("PATCH", "/subscriptions/me", token, body)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list):
            raise unreadable(None)
        return results

    def current_contact(self, token: str) -> dict[str, Any]:
        return self.call("GET", "/users/me", token)


def upstream_headers(method: str, publishable_key: str, token: str) -> dict[str, str]:
    """What the relay sends Spotzee with each call (the benchmark sends the same)."""
    headers = {
        "Authorization": f"Bearer {publishable_key}",
        # Both names: the docs renamed the header; Spotzee accepts either.
        **{name: token for name in TOKEN_HEADERS},
        "Spotzee-Version": API_VERSION,
    }
    if method == "PATCH":
        headers["Content-Type"] = "application/json"
        headers["Idempotency-Key"] = str(uuid.uuid4())  # one per change
    return headers


def connection_pool(base_url: str) -> urllib3.PoolManager:
    """Kept-alive connections to Spotzee, shared by every thread (urllib3's pools are
    thread-safe). The relay is on the path of every click, so it talks to urllib3 directly:
    requests' per-call work (building a session request, merging settings, wrapping the
    answer) costs about a millisecond on a small machine, as much as Spotzee's own time.

    Proxy and CA settings come from the environment once, the same ones the backend's
    requests-based client honours: `HTTPS_PROXY`/`NO_PROXY` and `REQUESTS_CA_BUNDLE`,
    else the bundle requests ships with."""
    url = urlsplit(base_url)
    proxy = None if proxy_bypass(url.hostname or "") else getproxies().get(url.scheme)
    ca_certs = os.environ.get("REQUESTS_CA_BUNDLE") or requests.certs.where()
    if proxy:
        return urllib3.ProxyManager(proxy, maxsize=POOL_SIZE, ca_certs=ca_certs)
    return urllib3.PoolManager(maxsize=POOL_SIZE, ca_certs=ca_certs)


def error_envelope(content: bytes) -> dict[str, Any]:
    """Spotzee's error body as a dict; empty when the answer is not the JSON envelope (a
    proxy's HTML page, say). Also used by the backend's Spotzee client."""
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def unreadable(request_id: str | None) -> RelayFailure:
    return RelayFailure(502, None, "Spotzee's answer could not be read.", request_id)


def failure_from(response: urllib3.BaseHTTPResponse) -> RelayFailure:
    body = error_envelope(response.data)
    return RelayFailure(
        response.status,
        body.get("code"),
        str(body.get("message") or f"Spotzee answered {response.status}."),
        body.get("request_id") or response.headers.get("X-Request-Id"),
    )
