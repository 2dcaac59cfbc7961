"""Every way a call to Spotzee can fail, as one exception family.

Clients build around Spotzee's string `code` (spotzee-api.md §5.1) and the HTTP status. Two
questions matter to the app and have properties of their own: did Spotzee refuse the
contact session token (`token_rejected`), and is Spotzee out of reach for now
(`unavailable`). `outcome_unknown` marks the worst case: the request may have been carried
out, but no answer of Spotzee's came back.
"""

from __future__ import annotations

from typing import Any


class SpotzeeError(Exception):
    """Spotzee refused or failed a call. `status` is 0 when no answer arrived at all."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        request_id: str | None = None,
        param: str | None = None,
        sent: bool = True,
        from_spotzee: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.param = param
        # Whether the request may have reached Spotzee (False: the connection never opened).
        self.sent = sent
        # Whether the answer was Spotzee's own (its JSON envelope), not a proxy's page.
        self.from_spotzee = from_spotzee
        # Seconds Spotzee asked us to wait (429, 409 idempotency_in_progress), if it said.
        self.retry_after = retry_after
        # Spotzee refused the contact session token (set by the ContactClient only: a 401
        # to the secret key means the server's key is wrong, not the customer's session).
        self.token_rejected = False

    def __str__(self) -> str:
        return f"{self.message} (status {self.status}, code {self.code}, request {self.request_id})"

    @property
    def unavailable(self) -> bool:
        """Spotzee is down, slow, overloaded or out of reach: trying later may work.
        (409 idempotency_in_progress: the same operation is still running there.)"""
        return (
            self.status == 0
            or self.status == 429
            or self.status >= 500
            or self.code == "idempotency_in_progress"
        )

    @property
    def outcome_unknown(self) -> bool:
        """The request may have been carried out, and no answer says whether: a timeout or
        a lost connection after sending, something else answering for Spotzee, or a 5xx
        (an error after the work was done is still an error). 429 and 4xx are Spotzee's
        verdict: nothing was done."""
        return self.sent and (self.status == 0 or self.status >= 500 or not self.from_spotzee)


class SpotzeeUnavailable(SpotzeeError):
    """No usable answer within the time allowed: Spotzee is down, slow, or rate limiting."""


class ContactNotFound(SpotzeeError):
    """Spotzee has no contact with this external_id in the project."""


class OutcomeUnknown(SpotzeeUnavailable):
    """A change was sent, and even asking again with its Idempotency-Key did not tell
    whether Spotzee made it. `in_progress`: Spotzee's last word was that it is still
    working on it, so what it has now says nothing yet; otherwise read the true state
    before saying anything about the change."""

    def __init__(self, message: str, *, in_progress: bool, **kwargs: Any) -> None:
        super().__init__(message, status=0, **kwargs)
        self.in_progress = in_progress
