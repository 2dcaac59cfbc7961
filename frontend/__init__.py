"""The preference centre: the page, its htmx fragments and their plain-form twins (at
/preferences for a signed-in customer, and at /p/<signed> for whoever holds a preference
link from an email), the relay of each change to Spotzee, and the app's one error path.

Nothing here holds or imports the secret key, or the backend that holds it; a test proves
it. What it may spend is the publishable key (in its `ContactClient`), the contact session
token the browser sends, and the capabilities `init_app` is given: each acts with the
secret key for the contact of the request being served, never for one the browser names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, url_for
from flask_login import login_url
from werkzeug.exceptions import BadRequest, Gone

from spotzee import (
    Contact,
    ContactClient,
    ContactSession,
    ContactSubscription,
    SubscriptionState,
)

from .brand import Catalogue, words_for
from .per_contact import recall, remember

bp = Blueprint("frontend", __name__)

__all__ = ["Catalogue", "recall", "remember", "words_for"]


@dataclass(frozen=True)
class FirstRender:
    """What the page shows first: the contact, its state on every public subscription type
    (in the project's order), and a fresh contact session token for the page's script."""

    contact: Contact
    states: Sequence[ContactSubscription]
    session: ContactSession


@dataclass(frozen=True)
class SignOut:
    """Where the page's "Sign out" goes: a POST with the CSRF token (this repo's own
    sign-in), or a plain link (a brand's own sign-out page)."""

    url: Callable[[], str]
    method: str = "post"


class LinkNotValid(BadRequest):
    """A link from an email that was tampered with, or signed with a key no longer used."""


class LinkExpired(Gone):
    """A link from an email older than LINK_MAX_AGE_DAYS."""


@dataclass(frozen=True)
class Change:
    """One subscription type whose state Spotzee confirmed changing: a line of the consent
    record. `source` says how: page, page-nojs, link, one-click or undo."""

    subscription_id: int
    name: str
    old: SubscriptionState
    new: SubscriptionState
    source: str
    request_id: str | None


@dataclass(frozen=True)
class RecordedChange(Change):
    at: datetime  # UTC


@dataclass(frozen=True)
class Capabilities:
    contact_client: ContactClient
    first_render: Callable[[], FirstRender]
    mint: Callable[[], ContactSession]
    # Whether this browser was given the token (by first_render or mint) for the contact
    # being served: the relay spends no other, though Spotzee would accept any live one.
    handed_out: Callable[[str], bool]
    # The contact's state on every public type, read with the secret key: the truth to
    # show when a change's outcome could not be learnt from Spotzee's answer.
    saved_states: Callable[[], Sequence[ContactSubscription]]
    sign_out: SignOut | None
    # The consent record: append what Spotzee confirmed; read the contact's last changes.
    record: Callable[[Sequence[Change]], None]
    recent_changes: Callable[[int], Sequence[RecordedChange]]
    # Where this page's script asks for a new token (the link's own, on a link's page).
    mint_url: Callable[[], str]


def init_app(
    app: Flask,
    *,
    contact_client: ContactClient,
    first_render: Callable[[], FirstRender],
    mint: Callable[[], ContactSession],
    handed_out: Callable[[str], bool],
    saved_states: Callable[[], Sequence[ContactSubscription]],
    record: Callable[[Sequence[Change]], None],
    recent_changes: Callable[[int], Sequence[RecordedChange]],
    mint_url: Callable[[], str],
    sign_out: SignOut | None = None,
) -> None:
    """Register the preference centre and the app's error path on `app`."""
    app.extensions["frontend"] = Capabilities(
        contact_client,
        first_render,
        mint,
        handed_out,
        saved_states,
        sign_out,
        record,
        recent_changes,
        mint_url,
    )
    app.jinja_env.globals.update(sign_in_url=sign_in_url, sign_out=sign_out)
    i18n.init_app(app)
    views.init_templates(app)
    errors.init_app(app)
    app.url_map.converters["type_id"] = views.TypeId
    app.register_blueprint(bp)


def same_site_path(target: str | None) -> str:
    """`target` if it is a path on this site, else the preference page: no scheme, no host,
    no `//host` or `/\\host` tricks, no control characters (a `next` must never send a
    customer to another site)."""
    default = url_for("frontend.page")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def sign_in_url() -> str:
    """Where to sign in again and come back to the page (wherever Flask-Login was told)."""
    return login_url(current_app.login_manager.login_view, url_for("frontend.page"))  # type: ignore[attr-defined]


def capabilities() -> Capabilities:
    return current_app.extensions["frontend"]


from . import errors, i18n, views  # noqa: E402 - they register their routes on bp
