"""Identifiers as Spotzee puts them on the wire: `req_` + ULID request ids, opaque cursors."""

from __future__ import annotations

import base64
import json
import secrets
import time

from pydantic_core import from_json

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid() -> str:
    """A 26-character ULID: 48 bits of milliseconds, then 80 random bits, Crockford base32."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def request_id() -> str:
    return f"req_{ulid()}"


def encode_cursor(boundary_id: int) -> str:
    raw = json.dumps({"id": boundary_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the boundary id of a cursor; ValueError if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = from_json(base64.urlsafe_b64decode(padded.encode()))  # depth-limited
        boundary = decoded["id"]
    except (ValueError, TypeError, KeyError) as error:
        raise ValueError(cursor) from error
    if not isinstance(boundary, int) or isinstance(boundary, bool):
        raise ValueError(cursor)
    return boundary
