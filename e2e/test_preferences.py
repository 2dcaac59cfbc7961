"""The preference page in a real browser: changes land, tokens renew unnoticed, failures
are honest, and the token never leaves memory."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, Response, expect

from e2e.put_back import AsFound
from e2e.support import (
    CUSTOMERS,
    a_channel_with_something_on,
    answer_dialog,
    mints,
    one_off,
    patches,
    sign_in,
    status,
    subscriptions,
    switch,
)


def test_each_change_tops_the_recent_changes_at_once(signed_in: Page, as_found: AsFound) -> None:
    page = signed_in
    off = one_off(page)
    lines = page.locator("#recent-list > li")
    before = lines.count()
    switch(page, off).click()
    expect(lines.first).to_contain_text(f"{off.name}: subscribed")
    switch(page, off).click()
    expect(lines.first).to_contain_text(f"{off.name}: unsubscribed")
    expect(lines.nth(1)).to_contain_text(f"{off.name}: subscribed")
    expect(lines).to_have_count(before + 2)
    expect(page.get_by_role("heading", name="Recent changes")).to_be_visible()
    # However many there are, the latest ten are shown.
    assert sum(line.is_visible() for line in lines.all()) == min(10, before + 2)


def test_changing_a_switch_saves_it_in_spotzee(
    signed_in: Page, as_found: AsFound, spotzee, console_errors
) -> None:
    page = signed_in
    expect(page.get_by_role("heading", level=1)).to_contain_text("choose what we send you")
    off = one_off(page)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    expect(switch(page, off)).to_be_checked()
    assert as_found.saved()[off.id] == 1
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: unsubscribed")
    assert as_found.saved()[off.id] == 0
    if spotzee is not None:  # one change each, as Spotzee counts them
        assert patches(spotzee) == [200, 200]
    assert console_errors == []


def test_a_token_expired_on_spotzee_is_replaced_once_and_the_click_lands(
    signed_in: Page, sandbox, console_errors
) -> None:
    page = signed_in
    off = one_off(page)
    before = mints(sandbox)
    sandbox.advance(16 * 60)  # Spotzee's clock: the page's token is now expired
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert sandbox.states()[off.id] == 1
    assert mints(sandbox) == before + 1
    assert patches(sandbox) == [401, 200]


def test_changes_made_together_after_expiry_cause_one_mint(
    page: Page, base_url: str, sandbox
) -> None:
    page.clock.install()
    sign_in(page, base_url)
    shown = subscriptions(page)
    before = mints(sandbox)
    page.clock.fast_forward("16:00")  # the browser's clock says the token has expired
    sandbox.advance(16 * 60)
    for subscription in shown:
        switch(page, subscription).click()
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
    assert mints(sandbox) == before + 1
    assert patches(sandbox) == [200] * len(shown)
    saved = sandbox.states()
    assert {s.id: saved[s.id] for s in shown} == {s.id: 0 if s.on else 1 for s in shown}
    # The page shows what Spotzee confirmed last, for every switch.
    for subscription in shown:
        expect(switch(page, subscription)).to_be_checked(checked=not subscription.on)


def test_a_token_about_to_expire_is_replaced_before_the_request(
    page: Page, base_url: str, sandbox
) -> None:
    page.clock.install()
    sign_in(page, base_url)
    off = one_off(page)
    before = mints(sandbox)
    page.clock.fast_forward("14:30")  # 30 s left by the browser's clock
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert mints(sandbox) == before + 1
    assert patches(sandbox) == [200]  # renewed first, not after a failure


def test_a_browser_clock_ten_minutes_fast_or_slow_changes_nothing(
    new_context, base_url: str, sandbox
) -> None:
    for skew_ms in (10 * 60_000, -10 * 60_000):
        context = new_context()
        page = context.new_page()
        page.clock.install(time=time.time() * 1000 + skew_ms)
        sign_in(page, base_url)
        first = subscriptions(page)[0]
        before = mints(sandbox)
        switch(page, first).click()
        expect(status(page)).to_contain_text(f"{first.name}: ")
        assert mints(sandbox) == before  # the page's token was still good: no new mint
        context.close()
    assert patches(sandbox) == [200, 200]


def test_an_idle_tab_mints_nothing(page: Page, base_url: str, sandbox) -> None:
    page.clock.install()
    sign_in(page, base_url)
    before = mints(sandbox)
    page.clock.run_for("01:00:00")
    assert mints(sandbox) == before


def test_an_ended_sign_in_says_sign_in_again_and_claims_nothing(
    page: Page, base_url: str, as_found: AsFound
) -> None:
    page.clock.install()
    sign_in(page, base_url)
    off = one_off(page)
    page.context.clear_cookies()
    page.clock.fast_forward("16:00")
    switch(page, off).click()
    expect(status(page)).to_contain_text("not saved")
    expect(status(page).get_by_role("link", name="Sign in again")).to_be_visible()
    expect(switch(page, off)).not_to_be_checked()
    assert as_found.saved()[off.id] == 0


def test_unsubscribing_from_a_channel_asks_in_a_dialog_and_can_be_undone(
    signed_in: Page, as_found: AsFound
) -> None:
    page = signed_in
    channel = a_channel_with_something_on(page)
    before = as_found.saved()
    button = page.get_by_role("button", name=channel.button, exact=True)
    button.click()
    expect(page.get_by_role("dialog")).to_contain_text(f"{channel.button}?")
    answer_dialog(page, yes=False)
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert as_found.saved() == before
    button.click()
    answer_dialog(page)
    expect(status(page)).to_contain_text(f"{channel.subject}: unsubscribed")
    for subscription in channel.subscriptions:
        expect(switch(page, subscription)).not_to_be_checked()
    saved = as_found.saved()
    assert not any(saved[s.id] for s in channel.subscriptions)
    # Nothing of the channel is on now: no button to unsubscribe from it again.
    expect(button).to_have_count(0)
    status(page).get_by_role("button", name="Undo").click()
    expect(status(page)).to_contain_text("your subscriptions are back as they were")
    for subscription in channel.subscriptions:
        expect(switch(page, subscription)).to_be_checked(checked=subscription.on)
    assert as_found.saved() == before  # exactly: an opted-in type is opted in again


def test_the_token_never_reaches_storage_cookies_the_url_or_the_console(
    page: Page, base_url: str, as_found: AsFound
) -> None:
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    tokens: list[str] = []  # every token the browser was given: in the page, or minted

    def collect(response: Response) -> None:
        if 300 <= response.status < 400:
            return
        if response.request.resource_type == "document" or "contact-session" in response.url:
            tokens.extend(re.findall(r"eyJ[\w-]+\.[\w-]+\.[\w-]+", response.text()))

    page.on("response", collect)
    sign_in(page, base_url)
    off = one_off(page)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert tokens, "no contact session token was seen"
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
        " document.cookie, location.href, document.documentElement.outerHTML])"
    )
    assert "eyJ" not in stored and not any(token in stored for token in tokens)
    assert page.locator("#contact-session").count() == 0
    assert page.locator('input[name="contact_token"]').count() == 0
    cookies = page.context.cookies()
    assert not any("eyJ" in cookie["value"] for cookie in cookies if cookie["name"] != "session")
    assert not any("eyJ" in text for text in logged)


def test_without_javascript_every_switch_still_works(
    new_context, base_url: str, as_found: AsFound
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, base_url)
    off = one_off(page)
    form = page.locator(f"#preference-{off.id}")
    form.get_by_role("switch").check()
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base_url}/preferences#status")
    expect(status(page)).to_be_in_viewport()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    expect(switch(page, off)).to_be_checked()
    assert as_found.saved()[off.id] == 1
    page.get_by_role("button", name="Unsubscribe from everything").click()
    page.get_by_role("button", name="Yes, unsubscribe").click()
    expect(status(page)).to_contain_text("Everything: unsubscribed")
    saved = as_found.saved()
    assert not any(saved[s.id] for s in subscriptions(page))


def test_a_keyboard_alone_signs_in_changes_and_unsubscribes(
    page: Page, base_url: str, as_found: AsFound, spotzee
) -> None:
    email, password = CUSTOMERS["main"]
    page.goto(f"{base_url}/preferences")
    # The email field has focus on arrival (autofocus lands with the first frame drawn,
    # which on a busy machine can come after the load event).
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/preferences")
    off = one_off(page)

    def tab_to(description: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => document.activeElement === document.body ? '' :"
                " document.activeElement.id + ' ' + document.activeElement.textContent"
            )
            if description in focused:
                return
        raise AssertionError(f"Tab never reached {description}")

    tab_to(f"switch-{off.id}")
    page.keyboard.press("Space")
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert as_found.saved()[off.id] == 1
    channel = a_channel_with_something_on(page, off)
    tab_to(channel.button)
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    # The dialog opens on Cancel; one step back is the yes.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(status(page)).to_contain_text(f"{channel.subject}: unsubscribed")
    # The button is gone (the channel is all off): focus waits on Undo, next to the message.
    expect(page.locator("#undo-button")).to_be_focused()
    page.keyboard.press("Enter")
    expect(status(page)).to_contain_text("your subscriptions are back as they were")
    # Undo is gone in turn: focus goes to the first switch it turned back on.
    ids = {c.id for c in channel.subscriptions}
    first_back = next(s for s in subscriptions(page) if s.id in ids and s.on)
    expect(switch(page, first_back)).to_be_focused()
    if spotzee is not None:
        assert patches(spotzee) == [200, 200, 200]


def test_the_page_fits_a_320_pixel_screen(page: Page, base_url: str, as_found: AsFound) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, base_url)
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 320
    off = one_off(page)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
