"""How the sandbox's successful answers are put on the wire."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response
from pydantic import BaseModel


def no_content(headers: Mapping[str, str] | None = None) -> Response:
    """A 204 carries no body and no Content-Type: a client that reads one (Flask's default is
    text/html) parses an empty string as the answer."""
    response = Response(status=204, headers=headers)
    del response.headers["Content-Type"]
    return response


def answer(model: BaseModel, status: int = 200) -> Response:
    """A JSON answer rendered from its model, so it has exactly the shape the OpenAPI document
    states. Optional fields never set are left out, as the SDK's types expect."""
    return Response(
        model.model_dump_json(exclude_unset=True), status=status, mimetype="application/json"
    )
