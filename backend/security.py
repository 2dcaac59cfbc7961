"""Security headers on every response: a strict Content-Security-Policy and its companions.

The policy allows only our own scripts and styles (no inline code, no eval), which is why
htmx is configured with allowEval false and includeIndicatorStyles false.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

from .config import brand_origin


def content_security_policy(*, styles: tuple[str, ...] = (), images: tuple[str, ...] = ()) -> str:
    """Only our own scripts, ever; styles and images may also come from the brand's own
    hosts (BRAND_STYLESHEET_URL, BRAND_LOGO_URL), named origin by origin."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            " ".join(["style-src 'self'", *styles]),
            " ".join(["img-src 'self' data:", *images]),
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def origin(url: str | None) -> tuple[str, ...]:
    """The origin a brand URL is served from; nothing for a path on this site (the
    configuration check has refused anything else)."""
    found = brand_origin(url) if url else None
    return (found,) if found else ()


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    headers = {
        "Content-Security-Policy": content_security_policy(
            styles=origin(app.config.get("BRAND_STYLESHEET_URL")),
            images=origin(app.config.get("BRAND_LOGO_URL")),
        ),
        **HEADERS,
    }

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        # A route may set its own; one pass over the headers, not a look-up per name.
        present = {name.lower() for name, _ in response.headers}
        response.headers.extend(
            [(name, value) for name, value in headers.items() if name.lower() not in present]
        )
        if request.is_secure:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        return response


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure on every https request (behind a trusted proxy too, once
    ProxyFix has read X-Forwarded-Proto), and always with SESSION_COOKIE_SECURE=1."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure
