"""The relay from the preference centre to Spotzee's browser endpoints.

It forwards only to the configured Spotzee base URL, only `PATCH /subscriptions/me` and
`GET /users/me`, and only with the configured publishable key and the contact session token
the browser holds. It never sees the secret key: a token is all it can spend, and a token
reaches one contact only.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from flask import g, has_request_context

API_VERSION = "2026-04-28"
ALLOWED = frozenset({("PATCH", "/subscriptions/me"), ("GET", "/users/me")})
TOKEN_HEADERS = ("X-Spotzee-Contact-Token", "X-Spotzee-User-Token")

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
        self.timeout = timeout
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            # Read proxy and CA settings from the environment once, not on every request
            # (requests' per-request look-up costs about a millisecond).
            session.proxies = requests.utils.get_environ_proxies(self.base_url)
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or True
            session.trust_env = False
        return session

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
        headers = {
            "Authorization": f"Bearer {self.publishable_key}",
            # Both names: the docs renamed the header; Spotzee accepts either.
            **{name: token for name in TOKEN_HEADERS},
            "Spotzee-Version": API_VERSION,
        }
        if method == "PATCH":
            headers["Idempotency-Key"] = str(uuid.uuid4())  # one per change
        # Exactly one upstream call per change: no retries here. The customer sees an honest
        # "not saved, try again"; the browser script replays once after a token refresh.
        started = time.perf_counter()
        try:
            response = self._session().request(
                method, f"{self.base_url}{path}", json=body, headers=headers, timeout=self.timeout
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            kind = "timeout" if isinstance(error, requests.Timeout) else "connection error"
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
            response.status_code,
            elapsed_ms,
            request_id or "-",
        )
        if response.status_code >= 400:
            raise failure_from(response)
        return response.json()

    def set_states(self, token: str, changes: list[tuple[int, int]]) -> list[dict[str, Any]]:
        """PATCH /subscriptions/me; return the full refreshed list of public states."""
        body = [{"subscription_id": sub_id, "state": state} for sub_id, state in changes]
        return self.call("PATCH", "/subscriptions/me", token, body)["results"]

    def current_contact(self, token: str) -> dict[str, Any]:
        return self.call("GET", "/users/me", token)


def error_envelope(response: requests.Response) -> dict[str, Any]:
    """Spotzee's error body as a dict; empty when the answer is not the JSON envelope (a
    proxy's HTML page, say). Also used by the backend's Spotzee client."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def failure_from(response: requests.Response) -> RelayFailure:
    body = error_envelope(response)
    return RelayFailure(
        response.status_code,
        body.get("code"),
        str(body.get("message") or f"Spotzee answered {response.status_code}."),
        body.get("request_id") or response.headers.get("X-Request-Id"),
    )
