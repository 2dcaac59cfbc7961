"""Frontend: a change from the browser to Spotzee through the relay, its failures (each
answered as a fragment that keeps the list whole), the ambiguous outcomes it reconciles,
and the plain-form path."""

from __future__ import annotations

import re

import pytest

from tests.support import JANE, PUBLISHABLE_KEY, SECRET_KEY, switch_is_on

PATCHES = "/api/client/subscriptions/me"


def htmx_headers(token: str, csrf: str, key: str = PUBLISHABLE_KEY) -> dict[str, str]:
    return {
        "HX-Request": "true",
        "Authorization": f"Bearer {key}",
        "X-Spotzee-User-Token": token,
        "X-CSRFToken": csrf,
    }


def change(
    web,
    subscription_id: int,
    on: bool,
    token: str | None = None,
    htmx: bool = True,
    csrf: str | None = None,
    **headers: str,
):
    csrf = csrf or web.csrf()
    token = token or web.token()
    data = {"csrf_token": csrf, "previous_state": "0" if on else "1", "name": "Test type"}
    if on:
        data["subscribed"] = "1"
    sent = htmx_headers(token, csrf) if htmx else {}
    if not htmx:
        data["contact_token"] = token
    return web.client.post(
        f"/preferences/subscriptions/{subscription_id}", data=data, headers={**sent, **headers}
    )


def patches(sandbox) -> list[dict]:
    return [entry for entry in sandbox.log() if entry["path"] == PATCHES]


def test_one_change_is_one_upstream_patch_rendering_the_full_list(web) -> None:
    web.sign_in()
    response = change(web, 15, on=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith('<section id="preferences"')
    assert "Order updates by push: subscribed" in html
    assert html.count('role="switch"') == 5
    assert len(patches(web.sandbox)) == 1
    assert web.sandbox.states()[15] == 1


def test_every_change_has_its_own_idempotency_key(web) -> None:
    web.sign_in()
    change(web, 15, on=True)
    change(web, 15, on=False)
    keys = [entry["idempotency_key"] for entry in patches(web.sandbox)]
    assert len(keys) == 2 and len(set(keys)) == 2 and all(keys)


@pytest.mark.parametrize("key", [SECRET_KEY, "pk_some_other_project_key_01", "nonsense"])
def test_foreign_keys_are_refused_with_400(web, key) -> None:
    web.sign_in()
    csrf = web.csrf()
    response = web.client.post(
        "/preferences/subscriptions/7",
        data={"csrf_token": csrf},
        headers=htmx_headers(web.token(), csrf, key=key),
    )
    assert response.status_code == 400
    assert patches(web.sandbox) == []


def test_an_expired_token_is_a_401_with_the_marker_for_the_script(web) -> None:
    web.sign_in()
    token = web.token()
    web.sandbox.advance(901)
    response = change(web, 15, on=True, token=token)
    assert response.status_code == 401
    assert response.headers["X-Contact-Token-Rejected"] == "true"
    # Swapped in only when the script's one replay was refused too: it says so plainly.
    html = response.get_data(as_text=True)
    assert "Test type: not saved. Your session has ended." in html
    assert ">Sign in again</a>" in html and "messaging service" not in html
    assert web.sandbox.states()[15] == 0


def test_a_refused_publishable_key_is_the_operators_problem_not_the_customers(
    make_web, caplog
) -> None:
    """Spotzee's 401 names the Authorization header: no new token mends that, so the page
    does not say the session ended (nor the script mint), and the log says which key."""
    wrong = "pk_wrong_but_wellformed_0001"
    web = make_web(SPOTZEE_PUBLISHABLE_KEY=wrong)
    web.sign_in()
    csrf = web.csrf()
    response = web.client.post(
        "/preferences/subscriptions/15",
        data={"csrf_token": csrf, "previous_state": "0", "subscribed": "1"},
        headers=htmx_headers(web.token(), csrf, key=wrong),
    )
    assert response.status_code == 502
    assert "X-Contact-Token-Rejected" not in response.headers
    assert "Your session has ended" not in response.get_data(as_text=True)
    assert "check SPOTZEE_*_KEY" in caplog.text
    assert len(patches(web.sandbox)) == 1


def test_spotzee_refusing_a_change_puts_the_switch_back_and_says_so(web) -> None:
    """429: Spotzee's verdict that nothing was done, so "not saved" is the truth."""
    web.sign_in()
    web.sandbox.fault(path="subscriptions/me", status=429)
    response = change(web, 15, on=True)
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#preference-15"
    assert html.startswith('<form class="preference" id="preference-15"')
    assert not switch_is_on(html, 15)  # back to off
    assert "Test type: not saved. We couldn&#39;t reach our messaging service" in html
    assert 'hx-swap-oob="innerHTML"' in html and ">Try again</button>" in html
    assert len(patches(web.sandbox)) == 1  # Spotzee answered: no retry, nothing in doubt
    assert web.sandbox.states()[15] == 0


def test_an_unknown_type_is_a_404_naming_the_problem(web) -> None:
    web.sign_in()
    response = change(web, 404, on=True)
    assert response.status_code == 404
    assert "no longer exists" in response.get_data(as_text=True)


def test_a_non_public_type_is_refused_with_a_message(web, caplog) -> None:
    web.sign_in()
    response = change(web, 9, on=False)
    assert response.status_code == 403
    assert "Test type: not saved." in response.get_data(as_text=True)
    # Spotzee refused a field the customer sent, not the app's key: no alarm for operators.
    assert "check SPOTZEE" not in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize("path_id", ["\u0661\u0662", "\uff11\uff12", "9" * 20])  # 12, 12, huge
def test_a_type_id_in_a_path_is_ascii_digits_of_a_sane_length(web, path_id) -> None:
    web.sign_in()
    csrf = web.csrf()
    response = web.client.post(
        f"/preferences/subscriptions/{path_id}",
        data={"csrf_token": csrf, "previous_state": "0", "subscribed": "1"},
        headers=htmx_headers(web.token(), csrf),
    )
    assert response.status_code == 404
    assert web.upstream("/api/client/subscriptions/me") == []


# -- every error answer to htmx is a fragment: the list stays whole ---------------------


def test_signed_out_htmx_changes_put_the_switch_back_and_say_sign_in_again(web) -> None:
    response = change(web, 15, on=True, token=web.sandbox.mint())  # even a live token
    assert response.status_code == 401
    assert "X-Contact-Token-Rejected" not in response.headers
    html = response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#preference-15"
    assert html.startswith('<form class="preference" id="preference-15"')
    assert not switch_is_on(html, 15)
    assert "Test type: not saved. You&#39;ve been signed out." in html
    assert '<a href="/login?next=%2Fpreferences">Sign in again</a>' in html
    assert "<header" not in html and "<footer" not in html
    assert patches(web.sandbox) == []


def test_a_change_after_signing_in_again_elsewhere_says_reload_not_a_page(web) -> None:
    """Another tab signed in again: this tab's CSRF token is stale."""
    web.sign_in()
    stale = web.csrf("/preferences")
    web.client.post("/logout", data={"csrf_token": stale})
    web.sign_in()  # a new session, a new CSRF token
    response = change(web, 15, on=True, csrf=stale)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#preference-15"
    assert not switch_is_on(html, 15)
    assert "Test type: not saved. You signed in or out in another tab" in html
    assert '<a href="/preferences">Reload the page</a>' in html
    assert "<header" not in html
    assert patches(web.sandbox) == []


def test_an_htmx_unsubscribe_that_fails_answers_only_the_live_region(web) -> None:
    response = unsubscribe(web, "email", [7, 8], confirmed=True)  # signed out
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#status"
    html = response.get_data(as_text=True)
    assert response.headers["HX-Reswap"] == "innerHTML"  # into the live region, kept
    assert html.startswith('<div class="notice notice-error">') and "All email: not saved." in html


# -- ambiguous outcomes: never "not saved" for a change Spotzee made --------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"after": True, "drop": True},  # made, then the connection was lost
        {"after": True, "latency_ms": 1500},  # made, then answered too late
        {"latency_ms": 1500},  # still being made when the wait ran out
        {"drop": True},  # lost before it was made
        {"after": True, "status": 500},  # made, then answered with an error
        {"status": 503},  # an error, made or not: asking again makes it once
    ],
    ids=["made-then-dropped", "made-then-late", "slow", "dropped-before", "made-then-500", "503"],
)
def test_a_change_whose_answer_was_lost_is_asked_again_and_shown_saved(make_web, fault) -> None:
    web = make_web(SPOTZEE_READ_TIMEOUT=0.5)
    web.sign_in()
    web.sandbox.fault(method="PATCH", path="subscriptions/me", **fault)
    response = change(web, 15, on=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Order updates by push: subscribed" in html and switch_is_on(html, 15)
    assert web.sandbox.states()[15] == 1
    sent = patches(web.sandbox)
    assert len({entry["idempotency_key"] for entry in sent}) == 1  # the same change, asked again
    made = [e for e in sent if e["status"] == 200 and not e["replayed"]]
    assert len(made) == 1  # and made once


def test_a_change_spotzee_never_confirms_shows_what_is_saved_now(make_web) -> None:
    web = make_web(SPOTZEE_READ_TIMEOUT=0.3, SPOTZEE_RECONCILE_SECONDS=1.0)
    web.sign_in()
    web.client.get("/preferences")  # the subscription types are cached from here on
    web.sandbox.fault(method="PATCH", path="subscriptions/me", drop=True, count=100)
    response = change(web, 15, on=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "we couldn&#39;t confirm this change in time" in html
    assert "not saved" not in html
    assert not switch_is_on(html, 15)  # what Spotzee has, read with the secret key
    assert web.sandbox.states()[15] == 0


def test_a_change_still_being_made_is_not_shown_as_what_is_saved(make_web) -> None:
    """Spotzee's last word is "still working on it": what it has now says nothing yet."""
    web = make_web(SPOTZEE_READ_TIMEOUT=0.3, SPOTZEE_RECONCILE_SECONDS=1.0)
    web.sign_in()
    web.sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=3000)
    response = change(web, 15, on=True)
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert (
        "Test type: We couldn&#39;t confirm whether it was saved: our messaging service is" in html
    )
    assert "still working on it" in html and "not saved" not in html
    assert web.upstream("/api/client/users/cust-9f4b21/subscriptions") == []  # no read


def test_when_nothing_can_be_learnt_the_page_says_so_and_claims_nothing(make_web) -> None:
    """Still being made when the time ran out, and the saved states cannot be read
    either: the page neither says "saved" nor "not saved"."""
    web = make_web(SPOTZEE_READ_TIMEOUT=0.3, SPOTZEE_RECONCILE_SECONDS=1.0)
    web.sign_in()
    web.sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=2000)
    web.sandbox.fault(method="GET", path="/subscriptions", status=503, count=100)
    response = change(web, 15, on=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    html = response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#preference-15"
    assert "Test type: We couldn&#39;t confirm whether it was saved" in html
    assert "not saved" not in html and ": subscribed" not in html
    assert ">Try again</button>" in html


def test_without_javascript_an_unconfirmed_change_shows_the_saved_page(make_web) -> None:
    web = make_web(SPOTZEE_READ_TIMEOUT=0.3)
    web.sign_in()
    web.sandbox.fault(method="PATCH", path="subscriptions/me", after=True, drop=True)
    response = change(web, 21, on=True, htmx=False)
    assert response.status_code == 303
    page = web.client.get("/preferences").get_data(as_text=True)
    assert "In-app tips: subscribed" in page and switch_is_on(page, 21)


# -- the plain-form path ------------------------------------------------------------------


def test_only_an_answer_to_a_button_it_removes_marks_where_focus_goes(web) -> None:
    """A switch keeps its own focus through the re-render (htmx keeps it by id); after Try
    again the button is gone, so the answer marks the switch, where the page's script puts
    focus if it was lost with the button (never `autofocus`, which htmx would honour even
    after the customer moved on to another switch)."""
    web.sign_in()
    plain = change(web, 15, on=True).get_data(as_text=True)
    assert "data-focus" not in plain and "autofocus" not in plain
    csrf = web.csrf()
    retried = web.client.post(
        "/preferences/subscriptions/21",
        data={"csrf_token": csrf, "previous_state": "0", "retry_state": "1"},
        headers=htmx_headers(web.token(), csrf),
    ).get_data(as_text=True)
    assert re.search(r'id="switch-21"[^>]*data-focus', retried)
    assert retried.count("data-focus") == 1 and "autofocus" not in retried


def test_without_javascript_a_change_redirects_back_with_the_message(web) -> None:
    web.sign_in()
    response = change(web, 21, on=True, htmx=False)
    # At the message, just above the list: in view, and the next Tab goes into the list.
    assert response.status_code == 303
    assert response.headers["Location"] == "/preferences#status"
    page = web.client.get("/preferences").get_data(as_text=True)
    assert "In-app tips: subscribed" in page
    assert web.sandbox.states()[21] == 1


def test_without_javascript_an_expired_token_is_replaced_and_the_change_lands(web) -> None:
    web.sign_in()
    token = web.token()
    web.sandbox.advance(901)
    response = change(web, 21, on=True, token=token, htmx=False)
    assert response.status_code == 303
    assert web.sandbox.states()[21] == 1
    assert [e["status"] for e in patches(web.sandbox)] == [401, 200]


def test_without_javascript_a_failure_redirects_with_an_honest_message(web) -> None:
    web.sign_in()
    web.sandbox.fault(path="subscriptions/me", status=429)
    assert change(web, 21, on=True, htmx=False).status_code == 303
    page = web.client.get("/preferences").get_data(as_text=True)
    assert "Test type: not saved." in page and web.sandbox.states()[21] == 0


def test_the_page_shows_save_buttons_only_for_the_plain_form_path(web) -> None:
    """They are hidden by the stylesheet unless scripting is off or htmx is missing; they
    are never inside <noscript>, which htmx would bring to life in a re-rendered list."""
    web.sign_in()
    page = web.client.get("/preferences").get_data(as_text=True)
    assert "<noscript" not in page
    assert page.count('class="save-button plain-only"') == 5
    assert 'class="plain-only">Press Save after each change.' in page


def unsubscribe(web, scope: str, ids: list, confirmed: bool, htmx: bool = True, state: str = "1"):
    """Post "unsubscribe from all" as the page's form does: each id with its state as shown
    (signed out: with a live token all the same)."""
    csrf = web.csrf()
    token = web.token() if web.signed_in() else web.sandbox.mint()
    data = {"csrf_token": csrf, "subscription_id": [str(i) for i in ids], "contact_token": token}
    data.update({f"state_{i}": state for i in ids})
    if confirmed:
        data["confirmed"] = "1"
    return web.client.post(
        f"/preferences/unsubscribe/{scope}",
        data=data,
        headers=htmx_headers(token, csrf) if htmx else {},
    )


def test_unsubscribing_from_a_channel_is_one_call_for_all_its_types(web) -> None:
    web.sign_in()
    response = unsubscribe(web, "email", [7, 8], confirmed=True)
    assert response.status_code == 200
    assert "All email: unsubscribed" in response.get_data(as_text=True)
    assert len(patches(web.sandbox)) == 1
    states = web.sandbox.states()
    assert states[7] == 0 and states[8] == 0


def test_unsubscribing_without_confirmation_only_asks(web) -> None:
    web.sign_in()
    response = unsubscribe(web, "all", [7, 8, 12, 15, 21], confirmed=False, htmx=False)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Unsubscribe from every email, text message and notification?" in page
    assert 'href="/preferences">Cancel' in page
    assert patches(web.sandbox) == []
    done = unsubscribe(web, "all", [7, 8, 12, 15, 21], confirmed=True, htmx=False)
    assert done.status_code == 303
    assert set(web.sandbox.states().values()) == {0, 1}  # only the non-public type is on


@pytest.mark.parametrize(
    ("scope", "ids", "status"),
    [("fax", [7], 404), ("email", [], 400), ("email", ["x"], 400), ("email", ["¹"], 400)],
)
def test_bad_unsubscribe_requests_are_refused(web, scope, ids, status) -> None:
    web.sign_in()
    assert unsubscribe(web, scope, ids, confirmed=True).status_code == status


def test_a_change_reports_its_upstream_time_in_server_timing(web) -> None:
    web.sign_in()
    timing = change(web, 15, on=True).headers["Server-Timing"]
    metrics = dict(entry.strip().split(";dur=") for entry in timing.split(","))
    assert set(metrics) == {"app", "spotzee"}
    assert 0 < float(metrics["spotzee"]) <= float(metrics["app"])


def test_htmx_answers_carry_no_tokens_in_their_forms(web) -> None:
    """The page's script sends the CSRF and contact tokens as headers, so the re-rendered
    list needs neither in its forms; the page itself keeps both for the plain-form path."""
    web.sign_in()
    html = change(web, 15, on=True).get_data(as_text=True)
    assert 'name="csrf_token"' not in html
    assert 'name="contact_token"' not in html
    page = web.client.get("/preferences").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= html.count("<form")
    assert 'name="contact_token"' in page


def test_an_answer_that_is_not_spotzees_is_never_claimed_saved_or_not(make_web, proxy_page) -> None:
    """Something other than Spotzee answered (a proxy's page): the outcome is unknown."""
    web = make_web(SPOTZEE_API_BASE=proxy_page, SPOTZEE_RECONCILE_SECONDS=0.5)
    web.sign_in()
    web.hand_out("any-token")  # as if the app had been given it (the proxy mints nothing)
    response = change(web, 15, on=True, token="any-token")
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "We couldn&#39;t confirm whether it was saved" in html
    assert "Try again" in html
    assert JANE not in html


def test_an_htmx_change_too_large_to_read_is_a_fragment_not_a_500(web) -> None:
    web.sign_in()
    csrf = web.csrf()
    response = web.client.post(
        "/preferences/subscriptions/15",
        data={"csrf_token": csrf, "name": "x" * 70_000, "subscribed": "1"},
        headers=htmx_headers(web.token(), csrf),
    )
    assert response.status_code == 413
    assert response.headers["HX-Retarget"] == "#status"
    assert response.get_data(as_text=True).startswith('<div class="notice notice-error">')


def test_an_htmx_request_to_no_route_never_replaces_the_list(web) -> None:
    web.sign_in()
    response = web.client.post("/preferences/subscriptions/abc", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#status"


@pytest.mark.parametrize("token", ["abc\u2603", "abc\r\nX-Injected: 1", "x" * 5000])
def test_a_token_that_cannot_be_a_token_is_never_sent(web, token) -> None:
    """Without JavaScript the token is a form field anyone can edit: one that cannot be a
    token is refused unsent, a fresh one is minted, and the change lands."""
    web.sign_in()
    response = change(web, 21, on=True, token=token, htmx=False)
    assert response.status_code == 303
    assert web.sandbox.states()[21] == 1
    assert [e["status"] for e in patches(web.sandbox)] == [200]


def test_spotzee_refusing_the_apps_own_key_is_not_the_customers_session(web) -> None:
    web.sign_in()
    web.sandbox.fault(method="GET", path="/users/", status=401, count=10)
    page = web.client.get("/preferences")
    assert page.status_code == 502
    text = page.get_data(as_text=True)
    assert "session has ended" not in text and "Sign in" not in text
