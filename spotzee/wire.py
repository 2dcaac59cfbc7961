"""The one way the app talks HTTP to Spotzee: a transport both clients share.

It owns a `requests.Session` whose environment is read once, at construction (proxy, CA
bundle), sends `Spotzee-Version` and the caller's key on every call, enforces connect and
read timeouts (shortened to fit a deadline), turns every failure into a `SpotzeeError`, and
writes one log line per call: method, path, status, time, attempt and Spotzee's request id.
Keys and tokens never reach a log line, an exception or a repr.
"""

from __future__ import annotations

import http.cookiejar
import json
import logging
import os
import socket
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter

from .errors import SpotzeeError, SpotzeeUnavailable

API_VERSION = "2026-04-28"
# Kept-alive connections per process: one for each call in flight, more than a worker has
# threads (urllib3 keeps one by default and opens and drops the others under load).
POOL_SIZE = 32

log = logging.getLogger("spotzee")


@dataclass(frozen=True)
class Answer:
    """A successful answer: its JSON (None without a body), Spotzee's request id, and
    whether it was replayed from Spotzee's record of an earlier request with the same
    Idempotency-Key (`Idempotent-Replayed: true`)."""

    body: Any
    request_id: str | None
    replayed: bool = False


class Transport:
    """HTTP to one Spotzee base URL. Thread-safe: one per process serves every request."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        on_answer: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        # Told how long each call to Spotzee took (the app reports it in Server-Timing).
        self.on_answer = on_answer
        session = requests.Session()
        # The environment is read here, once: requests otherwise looks up proxies and CA
        # bundles on every call, which costs about a millisecond a call.
        session.trust_env = False
        session.proxies = requests.utils.get_environ_proxies(self.base_url)
        session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        # One session serves every customer: it must never carry a cookie from one to the
        # next (Spotzee sets none; a proxy in between might).
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=POOL_SIZE, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers = requests.structures.CaseInsensitiveDict(
            {"Spotzee-Version": API_VERSION, "Accept": "application/json"}
        )
        self._session = session

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"

    def reachable(self, timeout: float = 1.0) -> bool:
        """Whether Spotzee's address (or the proxy in between) accepts a connection within
        `timeout`: readiness, without spending a request."""
        url = urllib.parse.urlsplit(self.base_url)
        proxy = self._session.proxies.get(url.scheme)
        if proxy:
            url = urllib.parse.urlsplit(proxy)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            with socket.create_connection((url.hostname or "", port), timeout=timeout):
                return True
        except OSError:
            return False

    def send(
        self,
        method: str,
        path: str,
        *,
        key: str,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        deadline: float | None = None,
        attempt: tuple[int, int] = (1, 1),
        secrets: Iterable[str] = (),
    ) -> Answer:
        """One HTTP exchange with Spotzee: its Answer, or a SpotzeeError. `deadline` is a
        time.monotonic() value no wait may pass; `secrets` are redacted from anything the
        error says (the key always is)."""
        started = time.monotonic()
        timeout = self._timeout(started, deadline)
        if timeout is None:
            raise SpotzeeUnavailable(
                f"{method} {path}: no time left to ask Spotzee", status=0, sent=False
            )
        sent_headers = {"Authorization": f"Bearer {key}", **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent_headers["Content-Type"] = "application/json"
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                headers=sent_headers,
                data=data,
                params=params,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as error:
            sent = not never_sent(error)
            kind = "timeout" if isinstance(error, requests.Timeout) else "connection error"
            self._log(method, path, kind, started, attempt, None)
            raise SpotzeeUnavailable(
                f"{method} {path}: Spotzee did not answer ({kind})", status=0, sent=sent
            ) from None
        request_id = response.headers.get("X-Request-Id")
        self._log(method, path, response.status_code, started, attempt, request_id)
        if 200 <= response.status_code < 300:
            return Answer(
                self._json(method, path, response, request_id),
                request_id,
                response.headers.get("Idempotent-Replayed") == "true",
            )
        raise self._error(method, path, response, redacting=(key, *secrets))

    def _timeout(self, now: float, deadline: float | None) -> tuple[float, float] | None:
        if deadline is None:
            return (self.connect_timeout, self.read_timeout)
        left = deadline - now
        if left <= 0.01:
            return None
        return (min(self.connect_timeout, left), min(self.read_timeout, left))

    @staticmethod
    def _json(method: str, path: str, response: requests.Response, request_id: str | None) -> Any:
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            # A proxy's or captive portal's page: Spotzee was not reached as far as we know.
            raise SpotzeeUnavailable(
                f"{method} {path}: the answer was not Spotzee's JSON",
                status=502,
                request_id=request_id,
                from_spotzee=False,
            ) from None

    @staticmethod
    def _error(
        method: str, path: str, response: requests.Response, redacting: Iterable[str]
    ) -> SpotzeeError:
        envelope = error_envelope(response.content)
        from_spotzee = isinstance(envelope.get("code"), str)
        status = response.status_code
        message = redact(str(envelope.get("message") or f"Spotzee answered {status}"), redacting)
        kind = SpotzeeUnavailable if status == 429 or status >= 500 else SpotzeeError
        return kind(
            f"{method} {path}: {message}",
            status=status,
            code=envelope.get("code") if from_spotzee else None,
            request_id=envelope.get("request_id") or response.headers.get("X-Request-Id"),
            param=envelope.get("param") if isinstance(envelope.get("param"), str) else None,
            from_spotzee=from_spotzee,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )

    def _log(
        self,
        method: str,
        path: str,
        outcome: int | str,
        started: float,
        attempt: tuple[int, int],
        request_id: str | None,
    ) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        if self.on_answer is not None:
            self.on_answer(elapsed_ms)
        log.info(
            "spotzee %s %s -> %s in %.0f ms (attempt %d/%d, request %s)",
            method,
            path,
            outcome,
            elapsed_ms,
            *attempt,
            request_id or "-",
        )


def never_sent(error: requests.RequestException) -> bool:
    """Whether the request certainly never reached Spotzee: the connection was refused or
    never opened. Anything later (a read timeout, a connection lost mid-call) may have
    been carried out."""
    if isinstance(
        error,
        requests.ConnectTimeout
        | requests.exceptions.InvalidHeader
        | requests.exceptions.InvalidURL,
    ):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ProxyError)


def error_envelope(content: bytes) -> dict[str, Any]:
    """Spotzee's error body as a dict; empty when the answer is not its JSON envelope."""
    try:
        body = json.loads(content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (Spotzee sends seconds, never an HTTP date)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def quote(segment: str) -> str:
    """One path segment (an external_id), percent-encoded: a `/` in it stays inside it.
    An empty one, `.` or `..` could only ever name another path (a client removes dot
    segments before sending, as RFC 3986 tells it to), so it is refused."""
    if segment in ("", ".", ".."):
        raise ValueError(f"{segment!r} cannot be a path segment (an external_id)")
    return requests.utils.quote(segment, safe="")
