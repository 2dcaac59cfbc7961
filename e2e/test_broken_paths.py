"""Paths that used to break, each tried as a customer would meet it: another tab, the Enter
key, htmx that never loaded, Spotzee hanging, an answer lost after the change was made, and
Spotzee gone mid-change. Nothing is lost and nothing is shown falsely."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.put_back import AsFound
from e2e.support import GIVING_UP_MS, one_off, patches, sign_in, status, subscriptions, switch


def assert_list_whole(page: Page, switches: int) -> None:
    """Every switch is still there, and no page was swapped into the list."""
    expect(page.locator("#preferences").get_by_role("switch")).to_have_count(switches)
    expect(page.locator("#preferences header, #preferences footer, #preferences h1")).to_have_count(
        0
    )


# -- another tab ------------------------------------------------------------------------


def signed_out_elsewhere(page: Page) -> Page:
    """Another tab of the same browser, which has just signed out."""
    other = page.context.new_page()
    other.goto(page.url)
    other.get_by_role("button", name="Sign out").click()
    return other


def test_signed_out_in_another_tab_a_click_says_sign_in_again(
    signed_in: Page, as_found: AsFound, spotzee
) -> None:
    page = signed_in
    shown, off = subscriptions(page), one_off(page)
    signed_out_elsewhere(page)
    switch(page, off).click()
    expect(status(page)).to_contain_text(f"{off.name}: not saved. You've been signed out.")
    expect(status(page).get_by_role("link", name="Sign in again")).to_be_visible()
    expect(switch(page, off)).not_to_be_checked()
    assert_list_whole(page, len(shown))
    assert as_found.saved()[off.id] == 0
    if spotzee is not None:  # nothing reached Spotzee at all
        assert patches(spotzee) == []


def test_signed_in_again_in_another_tab_a_click_says_reload(
    signed_in: Page, base_url: str, as_found: AsFound
) -> None:
    page = signed_in
    shown, off = subscriptions(page), one_off(page)
    sign_in(signed_out_elsewhere(page), base_url)
    switch(page, off).click()
    expect(status(page)).to_contain_text(
        f"{off.name}: not saved. You signed in or out in another tab"
    )
    expect(switch(page, off)).not_to_be_checked()
    assert_list_whole(page, len(shown))
    status(page).get_by_role("link", name="Reload the page").click()
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert as_found.saved()[off.id] == 1


# -- the keyboard -----------------------------------------------------------------------


def test_enter_on_a_switch_never_leaves_the_page(signed_in: Page, spotzee) -> None:
    page = signed_in
    shown, off = subscriptions(page), one_off(page)
    posted_pages: list[str] = []
    page.on(
        "request",
        lambda r: posted_pages.append(r.url) if r.is_navigation_request() else None,
    )
    switch(page, off).focus()
    page.keyboard.press("Space")
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    switch(page, off).focus()  # the re-rendered switch
    page.keyboard.press("Enter")
    # Had Enter posted the form, the page would be gone before this next change.
    switch(page, off).focus()
    page.keyboard.press("Space")
    expect(status(page)).to_have_text(f"{off.name}: unsubscribed")
    assert posted_pages == []
    assert_list_whole(page, len(shown))
    if spotzee is not None:  # Enter sent nothing
        assert patches(spotzee) == [200, 200]


def test_a_switch_changed_the_moment_the_list_is_shown_is_sent(
    signed_in: Page, as_found: AsFound, spotzee
) -> None:
    """htmx wires up swapped-in content only when it settles, 20 ms later by default (much
    later on a busy phone): a switch changed before then flipped on screen and sent
    nothing (seen as a flaky Space after Enter above). The page settles at once."""
    page = signed_in
    off = one_off(page)
    # Changed again in the same task that showed the answer, before any timer can run.
    page.evaluate(
        """(id) => document.body.addEventListener("htmx:afterSwap", () => queueMicrotask(
             () => document.getElementById(`switch-${id}`).click()), { once: true })""",
        off.id,
    )
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: unsubscribed")
    expect(switch(page, off)).not_to_be_checked()
    assert as_found.saved()[off.id] == 0
    if spotzee is not None:
        assert patches(spotzee) == [200, 200]


# -- htmx missing -----------------------------------------------------------------------


def test_without_htmx_the_page_is_the_plain_form_page(
    page: Page, base_url: str, as_found: AsFound
) -> None:
    page.route("**/vendor/htmx.min.js*", lambda route: route.abort())
    sign_in(page, base_url)
    off = one_off(page)
    form = page.locator(f"#preference-{off.id}")
    save = form.get_by_role("button", name="Save")
    expect(save).to_be_visible()
    expect(page.get_by_text("Press Save after each change.")).to_be_visible()
    expect(page.get_by_text("Each change is saved as you make it.")).to_be_hidden()
    switch(page, off).check()
    save.click()
    # Back at the page, at the message just above the list.
    page.wait_for_url(f"{base_url}/preferences#status")
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert as_found.saved()[off.id] == 1


def test_with_htmx_there_are_no_save_buttons(signed_in: Page) -> None:
    expect(signed_in.get_by_role("button", name="Save")).to_have_count(0)
    expect(signed_in.get_by_text("Each change is saved as you make it.")).to_be_visible()


# -- Spotzee slow, answers lost, Spotzee gone -------------------------------------------


def test_an_error_page_from_in_front_of_the_app_never_replaces_the_list(
    signed_in: Page, as_found: AsFound
) -> None:
    """A load balancer's or proxy's own error page (here a 504 in its HTML) is not the
    app's answer: the list stays whole, the switch goes back, and the page says it could
    not confirm the change (a gateway may time out after the app made it)."""
    page = signed_in
    shown = subscriptions(page)
    off = one_off(page)
    gateway = "<html><body><h1>504 Gateway Time-out</h1><hr><center>nginx</center></body></html>"
    page.route(
        "**/preferences/subscriptions/*",
        lambda route: route.fulfill(status=504, content_type="text/html", body=gateway),
    )
    switch(page, off).click()
    expect(status(page)).to_contain_text(f"{off.name}: we couldn't confirm whether it was saved")
    expect(switch(page, off)).not_to_be_checked()
    assert subscriptions(page) == shown
    expect(page.get_by_text("Gateway Time-out")).to_have_count(0)


def test_spotzee_hanging_gets_the_honest_page_within_the_deadline(
    signed_in: Page, base_url: str, sandbox
) -> None:
    page = signed_in
    sandbox.fault(path="/api/client/", latency_ms=9000, count=20)
    response = page.goto(f"{base_url}/preferences", timeout=8000)  # the deadline is 5 s
    assert response is not None and response.status == 503
    assert response.headers["retry-after"]
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Our messaging service is unavailable"
    )


@pytest.mark.parametrize(
    "fault",
    [
        {"drop": True},
        # Later than the app waits for an answer (3 s on the local stack, 10 s by default);
        # the app's replay gets the kept answer at once, so the test takes no longer for it.
        {"latency_ms": 12_000},
    ],
    ids=["answer-lost", "answered-too-late"],
)
def test_a_change_made_whose_answer_never_came_is_shown_saved(
    signed_in: Page, sandbox, fault: dict
) -> None:
    page = signed_in
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", after=True, **fault)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed", timeout=GIVING_UP_MS)
    expect(switch(page, off)).to_be_checked()
    assert sandbox.states()[off.id] == 1


def test_spotzee_gone_mid_change_is_neither_saved_nor_not_saved(signed_in: Page, sandbox) -> None:
    """As if Spotzee's process died with the change in hand: the change is held, then its
    connection closes unanswered, and so does every connection after it, the app's reads
    included, until Spotzee is back."""
    page = signed_in
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=1000, drop=True)
    sandbox.fault(path="/api/client/", drop=True, count=1000)
    switch(page, off).click()
    expect(switch(page, off)).to_have_attribute("aria-busy", "true")
    expect(status(page)).to_contain_text(
        f"{off.name}: We couldn't confirm whether it was saved", timeout=GIVING_UP_MS
    )
    expect(status(page)).not_to_contain_text("not saved")
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    sandbox.control("DELETE", "faults")  # Spotzee is back
    page.reload()
    # Gone before the change was made: the page shows what Spotzee has, which is the truth.
    expect(switch(page, off)).not_to_be_checked()
    assert sandbox.states()[off.id] == 0


def test_spotzee_refusing_the_token_twice_says_the_session_ended(signed_in: Page, sandbox) -> None:
    page = signed_in
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", status=401, count=2)
    switch(page, off).click()
    expect(status(page)).to_contain_text(f"{off.name}: not saved. Your session has ended.")
    expect(status(page)).not_to_contain_text("messaging service")
    expect(status(page).get_by_role("link", name="Sign in again")).to_be_visible()
    expect(switch(page, off)).not_to_be_checked()
    assert patches(sandbox) == [401, 401]
