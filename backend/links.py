"""Signed links for emails: a preference link (`/p/<signed>`, the preference page for one
contact, no sign-in) and a one-click unsubscribe link (`/u/<signed>`, RFC 8058).

A link names the contact's Spotzee external_id (and for one-click, one subscription type)
and its purpose, signed with LINK_SECRET_KEY (never the session key) and dated: it expires
after LINK_MAX_AGE_DAYS, and rotating the key revokes every link signed with the old one
(LINK_SECRET_KEY_PREVIOUS is still accepted during a rotation). A link grants its own pages
only: it never becomes a sign-in session, and no other route accepts it.

For a brand's sending code:

    from backend.links import email_links
    links = email_links("cust-9f4b21", base_url="https://prefs.brand.example",
                        subscription_id=7, secret_key=..., )
    links.preferences        # https://prefs.brand.example/p/...
    links.headers            # {"List-Unsubscribe": "<https://…/u/…>",
                             #  "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import click
from flask import Flask, current_app, g, request
from flask.cli import with_appcontext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from frontend import LinkExpired, LinkNotValid

from .identity import Customer

# One salt per purpose: a preference link is never a one-click link, nor the reverse.
PREFERENCES = "preference-link"
UNSUBSCRIBE = "one-click-unsubscribe"
# The token endpoint of a preference link's page (backend/tokens.py).
LINK_TOKEN_ENDPOINT = "tokens.link_contact_session"  # noqa: S105 - an endpoint name


@dataclass(frozen=True)
class EmailLinks:
    """What an email to one contact carries: the preference link, and for one subscription
    type the RFC 8058 headers (RFC 2369's List-Unsubscribe with a one-click POST)."""

    preferences: str
    unsubscribe: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        if self.unsubscribe is None:
            return {}
        return {
            "List-Unsubscribe": f"<{self.unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }


def serializer(keys: list[str], purpose: str) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts any of them.
    return URLSafeTimedSerializer(keys, salt=purpose)


def email_links(
    external_id: str,
    *,
    base_url: str,
    secret_key: str,
    subscription_id: int | None = None,
) -> EmailLinks:
    """The links for one email to one contact; `secret_key` is your LINK_SECRET_KEY."""
    base = base_url.rstrip("/")
    preferences = serializer([secret_key], PREFERENCES).dumps({"c": external_id})
    unsubscribe = None
    if subscription_id is not None:
        signed = serializer([secret_key], UNSUBSCRIBE).dumps(
            {"c": external_id, "s": subscription_id}
        )
        unsubscribe = f"{base}/u/{signed}"
    return EmailLinks(f"{base}/p/{preferences}", unsubscribe)


@dataclass(frozen=True)
class Grant:
    """What a valid link grants: this contact (and for one-click, this type)."""

    external_id: str
    subscription_id: int | None = None


def verify(signed: str, purpose: str) -> Grant:
    """The grant of a link, or LinkNotValid (tampered, or signed with a key no longer
    accepted) or LinkExpired. Says nothing about the contact either way."""
    config = current_app.config
    keys = [k for k in (config["LINK_SECRET_KEY_PREVIOUS"], config["LINK_SECRET_KEY"]) if k]
    if not keys:
        raise LinkNotValid()
    max_age = config["LINK_MAX_AGE_DAYS"] * 86400
    try:
        if max_age <= 0:
            # 0 days: every link has expired (a brand can stop every link at once).
            serializer(keys, purpose).loads(signed)
            raise LinkExpired()
        body = serializer(keys, purpose).loads(signed, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired() from None
    except BadSignature:
        raise LinkNotValid() from None
    external_id = body.get("c") if isinstance(body, dict) else None
    subscription_id = body.get("s") if isinstance(body, dict) else None
    if not isinstance(external_id, str) or not external_id:
        raise LinkNotValid()
    if purpose == UNSUBSCRIBE and not (isinstance(subscription_id, int) and subscription_id > 0):
        raise LinkNotValid()
    return Grant(external_id, subscription_id if purpose == UNSUBSCRIBE else None)


def link_visitor(_request: Any = None) -> Customer | None:
    """Flask-Login's request loader: on a preference link's pages, the link's contact
    (whoever holds the link, on that link's pages only).
    A link that cannot be used leaves nobody signed in, and says why (`refusal`)."""
    signed = (request.view_args or {}).get("signed")
    link_route = request.blueprint == "frontend" or request.endpoint == LINK_TOKEN_ENDPOINT
    if signed is None or not link_route:
        return None
    try:
        grant = verify(signed, PREFERENCES)
    except (LinkNotValid, LinkExpired) as refused:
        g.link_refused = refused
        return None
    return Customer(f"link:{grant.external_id}", "", grant.external_id, "")


def refusal() -> LinkNotValid | LinkExpired | None:
    """Why this request's link could not be used, if it could not."""
    return g.get("link_refused")


def init_app(app: Flask) -> None:
    @app.after_request
    def no_referrer(response: Any) -> Any:
        # A link's pages never tell the next site where the customer came from: the
        # address holds the link.
        if "signed" in (request.view_args or {}):
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
        return response

    app.cli.add_command(links_command)


@click.command("links")
@click.argument("who")
@click.option("--subscription", type=int, help="A subscription type id: add its one-click link.")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True)
@with_appcontext
def links_command(who: str, subscription: int | None, base_url: str) -> None:
    """Print the email links for WHO (a customer's email, or a Spotzee external_id)."""
    from . import customers  # the CLI's own look-up of an email

    key = current_app.config["LINK_SECRET_KEY"]
    if not key:
        raise click.ClickException("LINK_SECRET_KEY is not set: links cannot be signed.")
    customer = customers.find_by_email(who)
    external_id = customer.external_id if customer else who
    if customer is None and "@" in who:
        # Most likely a mistyped email: the link would open a contact that does not exist.
        click.echo(
            f"No customer has the email {who}: signing it as a Spotzee external_id.", err=True
        )
    links = email_links(
        external_id, base_url=base_url, secret_key=key, subscription_id=subscription
    )
    click.echo(f"Preferences: {links.preferences}")
    for name, value in links.headers.items():
        click.echo(f"{name}: {value}")
