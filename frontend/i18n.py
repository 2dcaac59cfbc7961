"""Languages: which one each answer speaks, in which timezone it tells the time, and the
menu that lets a customer choose.

The language is, in order: the customer's own choice (the language menu, kept in a cookie),
the contact's `locale` in Spotzee (remembered in the session once the page has read it),
the browser's Accept-Language, English. Times are shown in the contact's `timezone` from
Spotzee, UTC until it is known. Arabic is written right to left.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytz
from babel.support import NullTranslations
from flask import Flask, Response, abort, current_app, g, redirect, request
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from spotzee import Contact

from . import bp, per_contact, same_site_path

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
SESSION_KEY = "contact_places"  # [[external_id, {"locale": …, "timezone": …}], …]
REMEMBERED_CONTACTS = 4  # the customer's own, and a few links: the cookie stays small
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
    contact = language_of(remembered().get("locale"))
    if contact:
        return contact
    # In the browser's order of preference, the first we speak: "fr-CA, en;q=0.5" is
    # French (Werkzeug's best_match would prefer the exact "en" at any weight).
    for tag, _quality in request.accept_languages:
        spoken = language_of(tag)
        if spoken:
            return spoken
    return "en"


def select_timezone() -> str:
    """The contact's timezone, if it is one Babel can use (pytz's list, which lacks some
    names the system's zoneinfo has, such as posix/…); otherwise UTC."""
    zone = remembered().get("timezone")
    return zone if isinstance(zone, str) and zone in pytz.all_timezones_set else "UTC"


def remembered() -> dict[str, str]:
    """The current contact's locale and timezone as its page last read them from Spotzee
    (a link opened in a signed-in browser is another contact, kept apart)."""
    place = per_contact.recall(SESSION_KEY, getattr(current_user, "external_id", None))
    return place if isinstance(place, dict) else {}


def remember_contact(contact: Contact) -> None:
    """Keep the contact's language and timezone for this session's later answers (the
    htmx fragments), beside those of the few other contacts this browser has open."""
    place = {k: v for k, v in (("locale", contact.locale), ("timezone", contact.timezone)) if v}
    per_contact.remember(SESSION_KEY, contact.external_id, place, contacts=REMEMBERED_CONTACTS)


def language_return() -> str:
    """Where the language menu comes back to: this page; for an answer to a form (a POST,
    which a link cannot repeat), the page at this address if there is one, else the
    preference page the form belongs to (a preference link's own, on a link)."""
    if request.method in ("GET", "HEAD"):
        # The preference centre's pages read no query, and they carry tokens and are sent
        # compressed: nothing a third party chose may be echoed beside them (BREACH).
        # Others keep theirs (the sign-in form's `next`).
        return request.path if request.blueprint == "frontend" else request.full_path.rstrip("?")
    try:
        current_app.url_map.bind("").match(request.path, method="GET")
        return request.path
    except HTTPException:
        from .views import page_urls  # views speaks through this module

        return page_urls().page()


def translations() -> NullTranslations:
    """This answer's catalogue. Flask-Babel looks it up again for every string, through a
    handful of context lookups each (a fifth of the time the preference list took to
    render); this keeps it where Flask-Babel's own refresh() and force_locale() drop it
    when the language changes."""
    if not g:
        return get_translations()
    try:
        kept = g._flask_babel.babel_translations  # None inside force_locale, until kept
    except AttributeError:
        kept = None
    if kept is None:
        # get_translations() makes Flask-Babel's context if need be.
        kept = get_translations()
        g._flask_babel.babel_translations = kept
    return kept


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's gettext (`%(name)s` variables and all), from the kept catalogue."""
    translated = translations().ugettext(string)
    return translated % variables if variables else translated


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Words written where no answer is being made yet (a module's tables), translated
    with gettext each time they are shown, in that answer's language."""
    return LazyString(gettext, string, **variables)


def N_(string: str) -> str:
    """Mark a word for the catalogues where it is written; gettext translates it later."""
    return string


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
    # The templates' _() and friends, from the kept catalogue too.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        languages=LANGUAGES,
        text_direction=direction,
        get_locale=get_locale,
        language_return=language_return,
    )

    @app.after_request
    def vary_by_language(response: Response) -> Response:
        """A page's words depend on the cookie and on Accept-Language: say so, so that no
        cache between here and the customer serves one customer's language to another."""
        if response.mimetype == "text/html":
            response.vary.update(("Accept-Language", "Cookie"))
        return response
