"""Static files with content-based URLs: `asset_url('css/app.css')` adds `?v=<sha256 prefix>`.

A URL whose `v` matches the file's content is cached by browsers for a year (it can never
change); anything else is revalidated with the ETag Flask sends. A repeat visit therefore
downloads only the HTML.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Flask, Response, request, url_for

ONE_YEAR = 31_536_000


def init_app(app: Flask) -> None:
    static = Path(app.static_folder or "static")

    @cache
    def fingerprint(filename: str) -> str | None:
        path = static / filename
        if not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]

    def asset_url(filename: str) -> str:
        version = fingerprint(filename)
        return url_for("static", filename=filename, v=version) if version else ""

    def has_asset(filename: str) -> bool:
        return fingerprint(filename) is not None

    app.jinja_env.globals.update(asset_url=asset_url, has_asset=has_asset)

    @app.after_request
    def cache_static(response: Response) -> Response:
        if request.endpoint == "static" and response.status_code == 200:
            version = request.args.get("v")
            filename = (request.view_args or {}).get("filename", "")
            if version and version == fingerprint(filename):
                response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
            else:
                response.headers["Cache-Control"] = "no-cache"
        return response
