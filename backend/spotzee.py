"""The Spotzee client: the only code that talks to Spotzee with the secret key.

One `SpotzeeClient` per app. Every call carries `Spotzee-Version`, has connect and read
timeouts, and is retried only where that is safe: connection errors, timeouts, 429 (after
`Retry-After`), 5xx, and 409 idempotency_in_progress, with exponential backoff and jitter,
at most three attempts. Every POST and PATCH carries an `Idempotency-Key`, the same on every
attempt of one operation, so a retried mint never mints twice. Failures become
`SpotzeeError`s carrying Spotzee's `code`, the HTTP status and the `request_id`.

Keys and tokens never reach a log line or an exception: only method, path, status, time,
attempt and request id are described.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from frontend.relay import error_envelope

API_VERSION = "2026-04-28"
MAX_ATTEMPTS = 3
BACKOFF_BASE_SECONDS = 0.2
BACKOFF_CAP_SECONDS = 2.0
# A Retry-After longer than this is not waited out inside a customer's request.
MAX_RETRY_AFTER_SECONDS = 5.0
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

log = logging.getLogger("backend.spotzee")


class SpotzeeError(Exception):
    """Spotzee refused or failed a call. `status` is 0 when no answer arrived."""

    def __init__(self, message: str, *, status: int, code: str | None, request_id: str | None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        return f"{self.message} (status {self.status}, code {self.code}, request {self.request_id})"


class SpotzeeUnavailable(SpotzeeError):
    """No usable answer after the retries: Spotzee is down, slow, or rate limiting us."""


class ContactNotFound(SpotzeeError):
    """Spotzee has no contact with this external_id in the project."""


@dataclass(frozen=True)
class ContactSession:
    token: str
    expires_at: str


def redact(text: str, *secrets: str) -> str:
    """Remove every secret from a text that describes a request (exceptions, log lines)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


class SpotzeeClient:
    """Server-side calls to Spotzee with the project's secret key."""

    def __init__(
        self,
        base_url: str,
        secret_key: str,
        *,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._secret_key = secret_key
        self.timeout = (connect_timeout, read_timeout)
        self._sleep = sleep
        # requests.Session is not documented as thread-safe; the first render calls Spotzee
        # from several threads at once, so each thread keeps its own pooled session.
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"SpotzeeClient({self.base_url!r}, secret_key=[redacted])"

    @property
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            # Read proxy and CA settings from the environment once, not on every request
            # (requests' per-request look-up costs about a millisecond).
            session.proxies = requests.utils.get_environ_proxies(self.base_url)
            session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or True
            session.trust_env = False
            session.headers.update(
                {
                    "Authorization": f"Bearer {self._secret_key}",
                    "Spotzee-Version": API_VERSION,
                    "Accept": "application/json",
                }
            )
            self._local.session = session
        return session

    # -- the calls the preference centre needs ------------------------------------------

    def mint_contact_session(self, external_id: str) -> ContactSession:
        """POST /users/{external_id}/sessions: a 15-minute token for this one contact."""
        body = self._call("POST", f"/users/{quote(external_id)}/sessions")
        return ContactSession(token=body["token"], expires_at=body["expires_at"])

    def get_contact(self, external_id: str) -> dict[str, Any]:
        return self._call("GET", f"/users/{quote(external_id)}")

    def list_contact_subscriptions(self, external_id: str) -> list[dict[str, Any]]:
        """Every subscription state of the contact (all pages)."""
        return self._all_pages(f"/users/{quote(external_id)}/subscriptions")

    def list_subscription_types(self) -> list[dict[str, Any]]:
        return self._all_pages("/subscriptions")

    # -- transport ------------------------------------------------------------------------

    def _all_pages(self, path: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 100}
        while True:
            page = self._call("GET", path, params=params)
            results.extend(page["results"])
            if not page.get("nextCursor"):
                return results
            params = {"limit": 100, "cursor": page["nextCursor"]}

    def _call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        headers = {}
        if method in ("POST", "PATCH"):
            # One key per logical operation, reused by every retry of it.
            headers["Idempotency-Key"] = str(uuid.uuid4())
        url = f"{self.base_url}{path}"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            started = time.perf_counter()
            try:
                response = self._session.request(
                    method, url, json=json, params=params, headers=headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                kind = "timeout" if isinstance(error, requests.Timeout) else "connection error"
                self._log(method, path, kind, started, attempt, None)
                if attempt < MAX_ATTEMPTS:
                    self._sleep(backoff(attempt))
                    continue
                raise SpotzeeUnavailable(
                    f"Spotzee did not answer {method} {path} ({kind})",
                    status=0,
                    code=None,
                    request_id=None,
                ) from None
            request_id = response.headers.get("X-Request-Id")
            self._log(method, path, response.status_code, started, attempt, request_id)
            if response.status_code < 400:
                return answer_of(method, path, response)
            error = self._error(method, path, response)
            wait = self._retry_wait(response, error, attempt)
            if wait is None:
                raise error
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_wait(
        self, response: requests.Response, error: SpotzeeError, attempt: int
    ) -> float | None:
        """Seconds to wait before retrying, or None when this answer must not be retried."""
        if attempt >= MAX_ATTEMPTS:
            return None
        retryable = response.status_code in RETRYABLE_STATUSES or (
            error.code == "idempotency_in_progress"
        )
        if not retryable:
            return None
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            return backoff(attempt)
        if retry_after > MAX_RETRY_AFTER_SECONDS:
            return None
        return retry_after + random.uniform(0, 0.25)  # noqa: S311 - jitter, not security

    def _error(self, method: str, path: str, response: requests.Response) -> SpotzeeError:
        body = error_envelope(response.content)
        message = redact(
            str(body.get("message") or f"Spotzee answered {response.status_code}"),
            self._secret_key,
        )
        status = response.status_code
        kind: type[SpotzeeError] = SpotzeeError
        if status in RETRYABLE_STATUSES:
            kind = SpotzeeUnavailable
        elif status == 404 and "/users/" in path and body.get("param") == "userId":
            kind = ContactNotFound
        return kind(
            f"{method} {path}: {message}",
            status=status,
            code=body.get("code"),
            request_id=body.get("request_id") or response.headers.get("X-Request-Id"),
        )

    def _log(
        self,
        method: str,
        path: str,
        outcome: int | str,
        started: float,
        attempt: int,
        request_id: str | None,
    ) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info(
            "spotzee %s %s -> %s in %.0f ms (attempt %d/%d, request %s)",
            method,
            path,
            outcome,
            elapsed_ms,
            attempt,
            MAX_ATTEMPTS,
            request_id or "-",
        )


def answer_of(method: str, path: str, response: requests.Response) -> Any:
    """A successful answer's JSON. One that is not JSON (a proxy's page, say) means Spotzee
    was not reached as far as we can tell: unavailable, never a 500 of ours."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise SpotzeeUnavailable(
            f"{method} {path}: the answer was not Spotzee's JSON",
            status=502,
            code=None,
            request_id=response.headers.get("X-Request-Id"),
        ) from None


def backoff(attempt: int) -> float:
    """Exponential backoff with full jitter: up to 0.2 s, 0.4 s, … capped at 2 s."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not security


def parse_retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def quote(segment: str) -> str:
    return requests.utils.quote(segment, safe="")
