"""Preference-centre routes: the htmx fragments and their plain-form twins.

Each change makes exactly one upstream call, `PATCH /subscriptions/me` with the publishable
key and the customer's contact session token, and renders the list from Spotzee's answer.
With htmx the token arrives in a header (the page's script holds it in memory); without
JavaScript it arrives in a hidden field, and the answer is a redirect back to the page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from . import bp
from .model import CHANNEL_LABELS, Message, Preference, group_by_channel
from .relay import TOKEN_HEADERS, Relay, RelayFailure, RelayRefused

log = logging.getLogger("frontend")
PAGE = "/preferences"
# The marker the page's script looks for: "mint a new token and replay this request once".
TOKEN_REJECTED_HEADER = "X-Contact-Token-Rejected"  # noqa: S105 - a header name


@bp.record_once
def create_relay(state: Any) -> None:
    config = state.app.config
    state.app.extensions["relay"] = Relay(
        config["SPOTZEE_API_BASE"],
        config["SPOTZEE_PUBLISHABLE_KEY"],
        timeout=(config["SPOTZEE_CONNECT_TIMEOUT"], config["SPOTZEE_READ_TIMEOUT"]),
    )


def relay() -> Relay:
    return current_app.extensions["relay"]


def from_htmx() -> bool:
    """Whether htmx sent this request (flask-htmx, set up by the app, decides)."""
    return bool(current_app.htmx)  # type: ignore[attr-defined]


def customer_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Signed-in customers only (the backend's session hook sets g.customer)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("customer") is None:
            if from_htmx():
                response = make_response(
                    render_template(
                        "_status.html",
                        oob=False,
                        message=Message(
                            "error", "Not saved: you've been signed out.", sign_in=True
                        ),
                    ),
                    401,
                )
                return response
            return redirect(url_for("auth.login", next=PAGE))
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
def index() -> str:
    """The brand's landing page, with the way in to the preference centre."""
    return render_template("index.html")


def presented_token() -> str:
    for name in TOKEN_HEADERS:
        if request.headers.get(name):
            return request.headers[name]
    return request.form.get("contact_token", "")


def apply(changes: list[tuple[int, int]]) -> list[dict[str, Any]]:
    """One PATCH with the presented token. A plain form whose token has expired gets a
    fresh one for the signed-in customer and tries once more; htmx requests leave that to
    the page's script, which holds the token."""
    relay().check_key(request.headers.get("Authorization"))
    token = presented_token()
    try:
        return relay().set_states(token, changes)
    except RelayFailure as failure:
        if not failure.token_rejected or from_htmx():
            raise
    fresh = current_app.extensions["mint_contact_session"]().token
    return relay().set_states(fresh, changes)


def rendered_list(states: list[dict[str, Any]], message: Message) -> Response:
    """The refreshed list for htmx. Its forms carry no tokens: the page's script holds the
    contact token and the CSRF token and sends both as headers (which also saves signing a
    CSRF token on every click). The target is named at answer time, so it is the list on
    the page now, whatever was re-rendered since the request left."""
    response = make_response(
        render_template(
            "_preferences.html",
            channels=group_by_channel(states),
            message=message,
            csrf="",
            contact_token="",
        )
    )
    response.headers["HX-Retarget"] = "#preferences"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def failure_message(failure: RelayFailure, subject: str) -> tuple[int, Message]:
    if failure.token_rejected:
        return 401, Message("error", f"{subject}: not saved. Your session has ended.", sign_in=True)
    if failure.unavailable:
        status = 502 if failure.status >= 500 and failure.status != 503 else 503
        return status, Message(
            "error",
            f"{subject}: not saved. We couldn't reach our messaging service. Please try again.",
        )
    if failure.status == 404:
        return 404, Message(
            "error",
            f"{subject}: not saved. That subscription no longer "
            "exists; reload the page to see the current list.",
        )
    return (failure.status if failure.status in (403, 422) else 400), Message(
        "error", f"{subject}: not saved. {failure.message}"
    )


def answer_failure(
    failure: RelayFailure, subject: str, retarget: str | None, fragment: str | None
) -> Response:
    status, message = failure_message(failure, subject)
    log.info(
        "change not saved: upstream %s %s (request %s)",
        failure.status,
        failure.code,
        failure.request_id or "-",
    )
    if not from_htmx():
        flash(message.text, "error")
        return redirect(PAGE, code=303)
    status_html = render_template("_status.html", message=message, oob=fragment is not None)
    response = make_response((fragment or "") + status_html, status)
    if failure.token_rejected:
        response.headers[TOKEN_REJECTED_HEADER] = "true"
    response.headers["HX-Retarget"] = retarget or "#status"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


@bp.post("/preferences/subscriptions/<int:subscription_id>")
@customer_required
def set_subscription(subscription_id: int) -> Response:
    """Turn one subscription on or off."""
    form = request.form
    wanted = form.get("retry_state") or form.get("subscribed", "0")
    state = 1 if wanted == "1" else 0
    previous = form.get("previous_state", "0")
    previous_state = int(previous) if previous in ("0", "1", "2") else 0
    name = form.get("name", "")[:200] or "That change"
    try:
        states = apply([(subscription_id, state)])
    except RelayRefused:
        abort(400)
    except RelayFailure as failure:
        preference = Preference(subscription_id, name, "", previous_state)
        fragment = render_template(
            "_preference.html", preference=preference, csrf="", contact_token="", retry=str(state)
        )
        return answer_failure(failure, name, f"#preference-{subscription_id}", fragment)
    saved = next((s for s in states if s["subscription_id"] == subscription_id), None)
    name = saved["name"] if saved else name
    text = f"{name}: {'subscribed' if saved and saved['state'] in (1, 2) else 'unsubscribed'}"
    if not from_htmx():
        flash(text, "success")
        return redirect(PAGE, code=303)
    return rendered_list(states, Message("success", text))


@bp.post("/preferences/unsubscribe/<scope>")
@customer_required
def unsubscribe(scope: str) -> Any:
    """Unsubscribe from every type of a channel, or from everything, in one upstream call."""
    if scope != "all" and scope not in CHANNEL_LABELS:
        abort(404)
    ids = request.form.getlist("subscription_id")
    if not ids or len(ids) > 100 or not all(i.isdigit() and len(i) < 12 for i in ids):
        abort(400)
    subject = "Everything" if scope == "all" else f"All {CHANNEL_LABELS[scope].lower()}"
    if request.form.get("confirmed") != "1":
        # Without JavaScript there is no dialog: the server asks before anything changes.
        return render_template("confirm_unsubscribe.html", scope=scope, ids=ids, subject=subject)
    try:
        states = apply([(int(i), 0) for i in dict.fromkeys(ids)])
    except RelayRefused:
        abort(400)
    except RelayFailure as failure:
        return answer_failure(failure, subject, None, None)
    text = f"{subject}: unsubscribed"
    if not from_htmx():
        flash(text, "success")
        return redirect(PAGE, code=303)
    return rendered_list(states, Message("success", text))
