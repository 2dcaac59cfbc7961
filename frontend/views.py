"""Page views of the preference centre."""

from __future__ import annotations

from flask import render_template

from . import bp


@bp.get("/")
def index() -> str:
    """The brand's landing page, with the way in to the preference centre."""
    return render_template("index.html")
