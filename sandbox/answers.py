"""How the sandbox's successful answers are put on the wire."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    """A 204 carries no body and no Content-Type: a client that reads one (Flask's default is
    text/html) parses an empty string as the answer."""
    response = Response(status=204, headers=headers)
    del response.headers["Content-Type"]
    return response
