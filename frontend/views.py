"""Preference-centre routes: the page, the htmx fragments and their plain-form twins.

Every route is served twice: under /preferences for the signed-in customer, and under
/p/<signed> for whoever holds a preference link from an email (backend/links.py says whose
contact that is). Each change makes one upstream call (`relay.apply`) and renders the list
from Spotzee's answer: the whole list for htmx, a redirect back to the page
(post/redirect/get) for a plain form. Failures are raised to the app's error path
(`frontend/errors.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from flask import (
    Flask,
    Response,
    abort,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import refresh
from flask_login import login_required
from flask_wtf.csrf import generate_csrf
from werkzeug.routing import IntegerConverter

from spotzee import ContactSubscription, SubscriptionState

from . import RecordedChange, bp, brand, capabilities
from .brand import words_by_type, words_for
from .i18n import gettext as _
from .i18n import remember_contact
from .model import Message, Scope, everything, group_by_channel, masked_email
from .relay import Applied, SwitchChange, apply, from_htmx

MAX_CHANGES = 100  # Spotzee's limit on one PATCH /subscriptions/me
RECENT_CHANGES = 10


def route(rule: str, **options: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a view at /preferences<rule> and at /p/<signed><rule> (a preference link's
    page, endpoint link_<name>); the view is told `signed` on the second."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        guarded = login_required(view)
        bp.add_url_rule(f"/preferences{rule}", view.__name__, guarded, **options)
        bp.add_url_rule(f"/p/<signed>{rule}", f"link_{view.__name__}", guarded, **options)
        return view

    return register


@dataclass(frozen=True)
class PageUrls:
    """The addresses of this page and its forms: /preferences…, or the link's /p/<signed>…"""

    signed: str | None

    def _url(self, endpoint: str, **values: Any) -> str:
        if self.signed is None:
            return url_for(f"frontend.{endpoint}", **values)
        return url_for(f"frontend.link_{endpoint}", signed=self.signed, **values)

    def page(self) -> str:
        return self._url("page")

    def change(self, subscription_id: int) -> str:
        return self._url("set_subscription", subscription_id=subscription_id)

    def unsubscribe(self, scope: str) -> str:
        return self._url("unsubscribe", scope=scope)

    def undo(self) -> str:
        return self._url("undo")


def page_urls() -> PageUrls:
    return PageUrls((request.view_args or {}).get("signed"))


class CurrentPageUrls:
    """`urls` in templates: this request's PageUrls, as a Jinja global rather than a
    context variable, so that the form macros are imported without context (Jinja then
    caches the imported module instead of running it again on every render)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(page_urls(), name)


def init_templates(app: Flask) -> None:
    brand.init_app(app)
    app.jinja_env.globals["urls"] = CurrentPageUrls()


@bp.get("/")
def index() -> str:
    """The brand's landing page, with the way in to the preference centre."""
    return render_template("index.html")


@route("", methods=["GET"])
def page(signed: str | None = None) -> Response:
    """The preference centre, rendered whole on the server (no request needed to show it)."""
    first = capabilities().first_render()
    # Before any word is rendered: the contact's language and timezone, for this answer
    # and the session's later ones.
    remember_contact(first.contact)
    refresh()
    response = make_response(
        render_template(
            "preferences.html",
            contact=first.contact,
            contact_session=first.session,
            publishable_key=capabilities().contact_client.publishable_key,
            mint_url=capabilities().mint_url(),
            # On a preference link's page: whose these are, never the whole address.
            link_for=masked_email(first.contact.email) if signed else None,
            recent_changes=[named(c) for c in capabilities().recent_changes(RECENT_CHANGES)],
            **list_context(
                first.states,
                flashed_message(),
                # The plain forms carry both tokens; the script removes the contact token
                # from the page and sends both as headers instead.
                form_tokens={"csrf_token": generate_csrf(), "contact_token": first.session.token},
            ),
        )
    )
    # The page carries a contact session token: never cache it, anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@route("/subscriptions/<type_id:subscription_id>", methods=["POST"])
def set_subscription(subscription_id: int, signed: str | None = None) -> Response:
    """Turn one subscription on or off."""
    change = SwitchChange.from_form(subscription_id)
    applied = apply([(subscription_id, change.wanted)], shown={subscription_id: change.saved.state})
    saved = next((s for s in applied.states if s.subscription_id == subscription_id), None)
    name = (words_for(subscription_id).name or saved.name) if saved else change.saved.name
    if saved is not None and saved.state.receives:
        text = _("%(name)s: subscribed", name=name)
    elif change.saved.confirmed:
        text = _(
            "%(name)s: unsubscribed. Your confirmation is gone: turning it back on "
            "subscribes you without it.",
            name=name,
        )
    else:
        text = _("%(name)s: unsubscribed", name=name)
    # After Try again, focus goes back to the switch (the button is gone from the answer).
    focus = subscription_id if "retry_state" in request.form else None
    return answered(applied, text, subject=name, focus=focus)


@route("/unsubscribe/<scope>", methods=["POST"])
def unsubscribe(scope: str, signed: str | None = None) -> Any:
    """Unsubscribe from every type of a channel, or from everything, in one upstream call.
    The answer offers to undo it: the states the page showed go back in one call."""
    covered = Scope.of(scope)
    if covered is None:
        abort(404)
    shown = shown_states("subscription_id", "state_")
    if not shown or len(shown) > MAX_CHANGES:
        abort(400)
    if request.form.get("confirmed") != "1":
        # Without JavaScript there is no dialog: the server asks before anything changes.
        return render_template("confirm_unsubscribe.html", scope=covered, shown=shown)
    before = saved_now(shown)
    applied = apply([(i, SubscriptionState.UNSUBSCRIBED) for i in shown], shown=before)
    undo = tuple((i, state) for i, state in before.items() if state.receives)
    text = _("%(subject)s: unsubscribed", subject=covered.subject)
    return answered(applied, text, subject=covered.subject, undo=undo)


@route("/undo", methods=["POST"])
def undo(signed: str | None = None) -> Any:
    """Put back what "unsubscribe from all" turned off, exactly as it was, in one call."""
    restore = shown_states("subscription_id", "restore_")
    if not restore or len(restore) > MAX_CHANGES:
        abort(400)
    applied = apply(list(restore.items()), shown=saved_now(restore), how="undo")
    text = _("Undone: your subscriptions are back as they were")
    return answered(applied, text, subject=_("Undo"), focus=next(iter(restore)))


def saved_now(ids: Iterable[int]) -> dict[int, SubscriptionState]:
    """What Spotzee has now for the types `ids`, read with the secret key: the state before
    a change of several types at once, for the consent record and Undo. What the form says
    was shown may be out of date (another tab changed a type since, or a switch changed
    while the form waited its turn), and would leave out a type this change turns off.
    One switch's change trusts its form instead: a read before every click would double
    its wait (docs/DECISIONS.md)."""
    saved = {s.subscription_id: s.state for s in capabilities().saved_states()}
    return {i: saved[i] for i in ids if i in saved}


def shown_states(id_field: str, state_prefix: str) -> dict[int, SubscriptionState]:
    """The subscription types a form names, with the state it carries for each (400 for
    anything that is not an id with a state)."""
    shown: dict[int, SubscriptionState] = {}
    for value in request.form.getlist(id_field):
        state = request.form.get(f"{state_prefix}{value}", "")
        if not (is_id(value) and state in ("0", "1", "2")):
            abort(400)
        shown[int(value)] = SubscriptionState(int(state))
    return shown


def answered(
    applied: Applied,
    text: str,
    *,
    subject: str,
    undo: tuple[tuple[int, SubscriptionState], ...] = (),
    focus: int | None = None,
) -> Response:
    """The refreshed list for htmx, saying `text`; for a plain form, the message and back
    to the page at the message. A change whose outcome was not learnt says so instead.
    `focus`: the type whose switch takes keyboard focus if the button pressed is gone."""
    if applied.confirmed:
        message = Message("success", text, undo=undo)
    else:
        message = Message(
            "error",
            _(
                "%(subject)s: we couldn't confirm this change in time. The switches show "
                "what's saved now; try again if it isn't what you wanted.",
                subject=subject,
            ),
        )
    if not from_htmx():
        flash(message.text, message.kind)
        flash_undo(message.undo)
        # At the message, which is just above the list: seen, and the next Tab goes on
        # into the list rather than through the page's header again.
        return redirect(page_urls().page() + "#status", code=303)
    # "Recent changes" gains this answer's lines (out of band, newest first) rather than
    # being read back from the record and rendered whole on every change.
    now = datetime.now(UTC)
    new_changes = [named(RecordedChange(**vars(c), at=now)) for c in reversed(applied.recorded)]
    response = make_response(
        render_template(
            "_preferences.html",
            new_changes=new_changes,
            focus=focus,
            oob=True,
            **list_context(applied.states, message, None),
        )
    )
    # Named at answer time, so the target is the list on the page now, whatever was
    # re-rendered since the request left.
    response.headers["HX-Retarget"] = "#preferences"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def flash_undo(undo: tuple[tuple[int, SubscriptionState], ...]) -> None:
    """Offer Undo on the page a plain form's answer redirects to (flashed_message)."""
    if undo:
        flash(json.dumps([[i, int(state)] for i, state in undo]), "undo")


def flashed_message() -> Message | None:
    """The message a plain form's change left for the page it redirected to."""
    flashed = dict(get_flashed_messages(with_categories=True))
    undo = json.loads(flashed.pop("undo", "[]"))
    if not flashed:
        return None
    kind, text = next(iter(flashed.items()))
    return Message(kind, text, undo=tuple((i, SubscriptionState(s)) for i, s in undo))


def list_context(
    states: Sequence[ContactSubscription],
    message: Message | None,
    form_tokens: dict[str, str] | None,
) -> dict[str, Any]:
    """What `_preferences.html` renders: the page passes the tokens for the plain forms,
    htmx answers pass None (the page's script sends both tokens as headers)."""
    channels = group_by_channel(states, words_by_type())
    return {
        "channels": channels,
        "everything": everything(channels),
        "message": message,
        "form_tokens": form_tokens,
    }


def named(change: RecordedChange) -> RecordedChange:
    """A line of "Recent changes", named as the brand names the type in the customer's
    language today (the record keeps the name that was shown when it was made)."""
    return replace(change, name=words_for(change.subscription_id).name or change.name)


class TypeId(IntegerConverter):
    """A subscription type id in a path, read as is_id reads one in a form (Werkzeug's int
    takes any Unicode digit, "١٢" for 12, and any length)."""

    regex = r"[0-9]{1,11}"


def is_id(value: str) -> bool:
    """A subscription type id as a form sends it: ASCII digits, not absurdly long."""
    return value.isascii() and value.isdecimal() and len(value) < 12
