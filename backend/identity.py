"""Who the customer is: the one seam to replace when the brand signs customers in itself.

The preference centre needs one fact about the person in front of it: which Spotzee
contact they are (the contact's `external_id`), and a name and email to greet them with.
By default this repo's own sign-in answers (`backend/auth.py`, customers in SQLite). A brand
whose site already signs customers in passes `create_app(identify=...)` a function that
reads its own proof of sign-in from the request (its session cookie, its gateway's header)
and returns a `Customer`, or None; this repo's sign-in form is then not served, and
`SIGN_IN_URL` says where the brand's is. docs/SIGN_IN.md has a worked example.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Request


@dataclass(frozen=True)
class Customer:
    """A signed-in customer, and the Spotzee contact they are. Also Flask-Login's user."""

    id: str  # the brand's own id for them (never sent to Spotzee)
    email: str
    external_id: str  # their Spotzee contact: /users/{external_id}
    name: str

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.id


# The seam: given the request, the signed-in customer, or None.
Identify = Callable[[Request], Customer | None]
