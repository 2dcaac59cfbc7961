"""The app's one error path: every failure, answered in the form the caller asked for.

An htmx request gets a fragment: the live region saying what happened and what to do, and
for a switch, the switch back in the state Spotzee last confirmed (so an error never
replaces the list, and no switch is lost). A JSON caller (the page's script asking for a
token) gets `{error, message}`. Anyone else gets a friendly page; a plain form whose change
Spotzee did not make is sent back to the page with the message. Never a stack trace, never
a secret.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

from flask import (
    Flask,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
)
from flask_babel.speaklater import LazyString
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from spotzee import ContactNotFound, NotAllowed, OutcomeUnknown, SpotzeeError, SubscriptionState

from . import LinkExpired, LinkNotValid
from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .model import Message, Scope
from .relay import SwitchChange, from_htmx
from .views import MAX_CHANGES, flash_undo, page_urls, shown_states

log = logging.getLogger("frontend.errors")

# The marker the page's script looks for: "mint a new token and replay this request once".
TOKEN_REJECTED_HEADER = "X-Contact-Token-Rejected"  # noqa: S105 - a header name
RETRY_AFTER_SECONDS = "5"


@dataclass(frozen=True)
class Failure:
    """One kind of failure: its status, a code for JSON callers, and the words for people.
    `change_text` replaces `text` when a change was refused (it follows "X: not saved.")."""

    status: int
    code: str
    title: str | LazyString
    text: str | LazyString
    change_text: str | LazyString | None = None
    action: str | None = None  # "sign_in" or "reload": the way on
    headers: dict[str, str] = field(default_factory=dict)
    # A change's outcome is unknown: say so instead of "not saved".
    unknown: bool = False


UNAVAILABLE = _l("Your preferences are unchanged. Please try again in a moment.")
UNREACHABLE = _l("We couldn't reach our messaging service. Please try again.")

HTTP_FAILURES = {
    400: Failure(400, "bad_request", _l("That request didn't work"),
                 _l("Something in it wasn't right. Go back and try again.")),
    401: Failure(401, "not_signed_in", _l("Please sign in"),
                 _l("You've been signed out."), action="sign_in"),
    403: Failure(403, "forbidden", _l("That wasn't allowed"),
                 _l("The page may have been open for a long time. Reload it and try again."),
                 action="reload"),
    404: Failure(404, "not_found", _l("Page not found"), _l("There's nothing at this address.")),
    405: Failure(405, "method_not_allowed", _l("That request didn't work"),
                 _l("This page can't be used that way.")),
    413: Failure(413, "too_large", _l("That was too much"),
                 _l("The request was larger than we accept.")),
    429: Failure(429, "too_many_requests", _l("Too many attempts"),
                 _l("Please wait a minute before trying again."), headers={"Retry-After": "60"}),
    500: Failure(500, "internal_error", _l("Something went wrong"),
                 _l("We've been told about it. Reload the page to see what is saved.")),
}  # fmt: skip
SESSION_CHANGED = Failure(
    403,
    "csrf_failed",
    _l("Your session changed"),
    _l("You signed in or out in another tab, or this page is too old."),
    action="reload",
)


# A link from an email that cannot be used: nothing about its contact, and the way in.
LINK_NOT_VALID = Failure(
    400,
    "link_not_valid",
    _l("This link doesn't work"),
    _l(
        "It may have been copied incompletely, or replaced by a newer one. Sign in to "
        "choose what we send you, or use the link in our latest email."
    ),
    action="sign_in",
)
LINK_EXPIRED = Failure(
    410,
    "link_expired",
    _l("This link has expired"),
    _l(
        "Links in our emails work for a limited time. Sign in to choose what we send you, "
        "or use the link in our latest email."
    ),
    action="sign_in",
)


def spotzee_failure(error: SpotzeeError) -> Failure:
    """What a Spotzee failure means to the customer."""
    if isinstance(error, OutcomeUnknown):
        why = (
            _(
                "We couldn't confirm whether it was saved: our messaging service is still "
                "working on it. Reload the page in a moment to see what's saved."
            )
            if error.in_progress
            else _(
                "We couldn't confirm whether it was saved: our messaging service stopped "
                "answering. Reload the page in a moment to see what's saved."
            )
        )
        return Failure(
            503,
            "outcome_unknown",
            _("We couldn't confirm your change"),
            why,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
            unknown=True,
        )
    if isinstance(error, ContactNotFound):
        return Failure(
            404,
            "contact_not_found",
            _("We couldn't find your subscription record"),
            _("Please contact us and we'll sort it out."),
        )
    if error.token_rejected:
        return Failure(
            401,
            "token_rejected",
            _("Your session has ended"),
            _("Your session has ended."),
            action="sign_in",
            headers={TOKEN_REJECTED_HEADER: "true"},
        )
    if error.unavailable:
        status = 502 if error.status >= 500 and error.status != 503 else 503
        return Failure(
            status,
            "spotzee_unavailable" if status == 503 else "upstream_error",
            _("Our messaging service is unavailable"),
            UNAVAILABLE,
            change_text=UNREACHABLE,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    if not is_change():
        # A read or a mint refused: the app's own set-up (its secret key, say), not the
        # customer's doing. The log says which; the customer is told it is on our side.
        return Failure(
            502, "upstream_error", _("We couldn't reach our messaging service"), UNAVAILABLE
        )
    if error.status == 404:
        return Failure(
            404,
            "subscription_not_found",
            _("That subscription no longer exists"),
            _("Reload the page to see the current list."),
            change_text=_(
                "That subscription no longer exists; reload the page to see the current list."
            ),
        )
    if error.status == 403:
        # Spotzee's own message is in its language and words; the log keeps it.
        why = _("This subscription can't be changed here.")
        return Failure(403, "refused", _("That change wasn't accepted"), why)
    if error.status == 422:
        why = _("Our messaging service didn't accept that change.")
        return Failure(422, "refused", _("That change wasn't accepted"), why)
    return Failure(
        502, "upstream_error", _("We couldn't reach our messaging service"), UNAVAILABLE,
        change_text=UNREACHABLE,
    )  # fmt: skip


def is_change() -> bool:
    """A request that asked for a change (every POST of the preference centre)."""
    return request.method == "POST" and request.blueprint == "frontend"


def wants_json() -> bool:
    """JSON when the caller prefers it to HTML; /api/ routes speak JSON unless asked not to."""
    offered = ["text/html", "application/json"]
    if request.path.startswith("/api/"):
        offered.reverse()
    return request.accept_mimetypes.best_match(offered, offered[0]) == "application/json"


def answer(failure: Failure, *, from_spotzee: bool = False) -> Response:
    headers = {"Cache-Control": "no-store", **failure.headers}
    if from_htmx():
        response = htmx_answer(failure)
    elif wants_json():
        response = jsonify(error=failure.code, message=str(failure.text))
    elif from_spotzee and is_change():
        # A plain form whose change Spotzee did not make: back to the page, which shows
        # the saved states, with the message (post/redirect/get).
        flash(about_the_change(failure, subject(SwitchChange.from_request())), "error")
        flash_undo(undo_offer() if failure.action is None else ())
        return redirect(page_urls().page() + "#status", code=303)
    else:
        response = make_response(page(failure))
    response.status_code = failure.status
    response.headers.update(headers)
    return response


UNDO_ENDPOINTS = ("frontend.undo", "frontend.link_undo")


def subject(change: SwitchChange | None) -> str:
    """What the change was about, in the words the customer saw."""
    if change is not None:
        return change.saved.name
    if request.endpoint in UNDO_ENDPOINTS:
        return _("Undo")
    scope = Scope.of((request.view_args or {}).get("scope", ""))
    return scope.subject if scope is not None else _("Your change")


def undo_offer() -> tuple[tuple[int, SubscriptionState], ...]:
    """What a failed Undo was putting back, offered again: its button was in the live
    region the answer replaces. Nothing if the form cannot be read: the error path must
    not fail."""
    if request.endpoint not in UNDO_ENDPOINTS:
        return ()
    try:
        restore = shown_states("subscription_id", "restore_")
    except HTTPException:
        return ()
    return tuple((i, state) for i, state in restore.items() if state.receives)[:MAX_CHANGES]


def about_the_change(failure: Failure, subject: str) -> str:
    """What the live region says when a change failed: never "not saved" for an unknown."""
    if failure.unknown:
        return _("%(subject)s: %(what)s", subject=subject, what=failure.text)
    why = failure.change_text or failure.text
    return _("%(subject)s: not saved. %(why)s", subject=subject, why=why)


def htmx_answer(failure: Failure) -> Response:
    """The live region; for a switch, that switch back as last saved, with Try again."""
    change = SwitchChange.from_request()
    if is_change():
        # A failed Undo is offered again, unless something else must come first.
        again = undo_offer() if failure.action is None else ()
        message = Message(
            "error", about_the_change(failure, subject(change)), failure.action, again
        )
    else:
        message = Message("error", str(failure.text), failure.action)
    if change is None:
        # Only the live region's content: never the list (or the page) htmx aimed at.
        response = make_response(render_template("_status.html", message=message, inner=True))
        response.headers["HX-Retarget"] = "#status"
        response.headers["HX-Reswap"] = "innerHTML"
    else:
        switch = render_template("_switch.html", preference=change.saved, retry=change.wanted)
        status = render_template("_status.html", message=message, oob=True)
        response = make_response(switch + status)
        response.headers["HX-Retarget"] = f"#preference-{change.saved.subscription_id}"
        response.headers["HX-Reswap"] = "outerHTML"
    return response


def page(failure: Failure) -> str:
    retry = request.method == "GET" and failure.status in (500, 502, 503)
    return render_template(
        "error.html",
        status=failure.status,
        title=failure.title,
        message=failure.text,
        action=failure.action,
        retry_url=request.full_path.rstrip("?") if retry else None,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def session_changed(_error: CSRFError) -> Response:
        # Signed out in another tab: the session holds no CSRF token any more, but what the
        # customer needs to know is that they must sign in again.
        if is_change() and not current_user.is_authenticated:
            return answer(HTTP_FAILURES[401])
        return answer(SESSION_CHANGED)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        failure = HTTP_FAILURES.get(error.code or 400, HTTP_FAILURES[400])
        if error.code == 405 and error.valid_methods:
            failure = replace(failure, headers={"Allow": ", ".join(error.valid_methods)})
        return answer(failure)

    @app.errorhandler(LinkNotValid)
    def link_not_valid(_error: LinkNotValid) -> Response:
        return answer(LINK_NOT_VALID)

    @app.errorhandler(LinkExpired)
    def link_expired(_error: LinkExpired) -> Response:
        return answer(LINK_EXPIRED)

    @app.errorhandler(NotAllowed)
    def not_allowed(error: NotAllowed) -> Response:
        log.info("refused: %s", error)
        return answer(HTTP_FAILURES[400])

    @app.errorhandler(SpotzeeError)
    def spotzee_failed(error: SpotzeeError) -> Response:
        # A 401 or 403 that names no field of the request (or names the key's header), and
        # is not about the contact's token, is about the app's key. (A refused field, such
        # as a type that is not public, names it: the customer's request, not the
        # operator's configuration.)
        key_refused = error.param in (None, "Authorization")
        if error.status in (401, 403) and not error.token_rejected and key_refused:
            log.error("Spotzee refused the app's key (check SPOTZEE_*_KEY): %s", error)
        elif error.token_rejected and not error.sent:
            log.warning("refused: %s", error)
        else:
            log.warning("Spotzee call failed: %s", error)
        return answer(spotzee_failure(error), from_spotzee=True)

    @app.errorhandler(Exception)
    def unexpected(_error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, printable(request.path))
        return answer(HTTP_FAILURES[500])


# The signed part of a link from an email: whoever reads a log must not be able to use it.
SIGNED_LINK = re.compile(r"(/[pu]/)[^/?#\s]+")


def printable(value: str) -> str:
    """A value a client sent, fit for a log line: a link's signed part is left out, and
    control characters (a newline would start a forged line of its own) are escapes."""
    value = SIGNED_LINK.sub(r"\1[signed]", value)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in value)
