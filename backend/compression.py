"""Compressed answers (brotli or gzip, by what the client accepts), with `Vary` right.

BREACH-style guessing needs three things in one compressed answer: a secret that stays the
same from answer to answer, something the attacker chose echoed beside it, and a way to see
the answer's size. So answers that carry a secret and echo what a request sent are never
compressed: the sign-in page (its CSRF token beside the email and `next` it echoes) and the
token endpoint's JSON (a contact token). The preference page is compressed: its contact
token is new on every load and it echoes nothing a third party can choose (only a POST that
carries the CSRF token can change what it says). See docs/DECISIONS.md.
"""

from __future__ import annotations

from flask import Flask, Response, g
from flask_compress import Compress

compress = Compress()


def never() -> None:
    """Send this request's answer uncompressed (it carries a secret beside echoed input)."""
    g.uncompressed = True


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Static files are sent as streams; gzip is what every client accepts.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    app.config.setdefault("COMPRESS_REGISTER", False)  # we decide per answer, below
    compress.init_app(app)

    @app.after_request
    def compress_answer(response: Response) -> Response:
        if g.get("uncompressed"):
            return response
        return compress.after_request(response)
