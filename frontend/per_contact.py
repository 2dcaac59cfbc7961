"""What the session keeps for each contact this browser has open: the customer's own, and
the preference links they opened (each a contact of its own, kept apart).

Kept as a list of [contact, value] pairs, the latest last, and not as a dict: Flask writes
a session's dicts with their keys sorted, which would lose which contact is the oldest.
"""

from __future__ import annotations

from typing import Any

from flask import session


def pairs(key: str) -> list[list[Any]]:
    kept = session.get(key)
    if not isinstance(kept, list):
        return []  # nothing yet, or what an older version of the app wrote
    return [p for p in kept if isinstance(p, list) and len(p) == 2 and isinstance(p[0], str)]


def recall(key: str, contact: str | None) -> Any:
    """What the session keeps under `key` for `contact`, or None."""
    for kept_contact, value in pairs(key):
        if kept_contact == contact:
            return value
    return None


def remember(key: str, contact: str, value: Any, *, contacts: int) -> None:
    """Keep `value` for `contact` under `key`, beside the values of the latest few other
    contacts (`contacts` in all; the oldest go first). The session is written only when
    this changes it."""
    kept = pairs(key)
    if kept and kept[-1] == [contact, value]:
        return
    others = [p for p in kept if p[0] != contact]
    session[key] = [*others, [contact, value]][-contacts:]
