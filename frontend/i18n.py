"""Languages: which one each answer speaks, in which timezone it tells the time, and the
menu that lets a customer choose.

The language is, in order: the customer's own choice (the language menu, kept in a cookie),
the contact's `locale` in Spotzee (remembered in the session once the page has read it),
the browser's Accept-Language, English. Times are shown in the contact's `timezone` from
Spotzee, UTC until it is known. Arabic is written right to left.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, Response, abort, redirect, request, session
from flask_babel import Babel, get_locale

from spotzee import Contact

from . import bp, same_site_path

ROOT = Path(__file__).resolve().parent.parent
# Each language in its own words, as the menu shows it.
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "de": "Deutsch",
    "fr": "Français",
    "ar": "العربية",
}
RIGHT_TO_LEFT = frozenset({"ar"})
COOKIE = "lang"
ONE_YEAR = 365 * 24 * 3600

babel = Babel()


def language_of(tag: str | None) -> str | None:
    """The shipped language a BCP 47 tag (`en-AU`, `es_419`) asks for, if any."""
    if not tag:
        return None
    language = tag.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else None


def select_locale() -> str:
    chosen = language_of(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    contact = language_of(session.get("contact_locale"))
    if contact:
        return contact
    return request.accept_languages.best_match(LANGUAGES) or "en"


def select_timezone() -> str:
    zone = session.get("contact_timezone")
    try:
        return str(ZoneInfo(zone)) if isinstance(zone, str) else "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def remember_contact(contact: Contact) -> None:
    """Keep the contact's language and timezone for this session's later answers (the
    htmx fragments), writing the session only when they change."""
    for key, value in (("contact_locale", contact.locale), ("contact_timezone", contact.timezone)):
        if value and session.get(key) != value:
            session[key] = value


def direction() -> str:
    return "rtl" if str(get_locale()) in RIGHT_TO_LEFT else "ltr"


@bp.get("/language/<code>")
def choose_language(code: str) -> Response:
    """Remember the customer's language and go back where they were."""
    if code not in LANGUAGES:
        abort(404)
    response = redirect(same_site_path(request.args.get("next")), code=303)
    response.set_cookie(
        COOKIE, code, max_age=ONE_YEAR, samesite="Lax", httponly=True, secure=request.is_secure
    )
    return response


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(ROOT / "translations"),
    )
    app.jinja_env.globals.update(
        languages=LANGUAGES, text_direction=direction, get_locale=get_locale
    )

    @app.after_request
    def vary_by_language(response: Response) -> Response:
        """A page's words depend on the cookie and on Accept-Language: say so, so that no
        cache between here and the customer serves one customer's language to another."""
        if response.mimetype == "text/html":
            response.vary.update(("Accept-Language", "Cookie"))
        return response
