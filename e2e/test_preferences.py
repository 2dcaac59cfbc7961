"""The preference page in a real browser: changes land, tokens renew unnoticed, failures
are honest, and the token never leaves memory."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from e2e.support import (
    PUSH,
    TIPS,
    answer_dialog,
    mints,
    patches,
    sign_in,
    status,
    switch,
)


def test_changing_a_switch_saves_it_in_spotzee(signed_in: Page, sandbox, console_errors) -> None:
    page = signed_in
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hi Jane")
    expect(switch(page, PUSH)).not_to_be_checked()
    switch(page, PUSH).click()
    expect(status(page)).to_have_text(f"{PUSH}: subscribed")
    expect(switch(page, PUSH)).to_be_checked()
    assert sandbox.states()[15] == 1
    switch(page, PUSH).click()
    expect(status(page)).to_have_text(f"{PUSH}: unsubscribed")
    assert sandbox.states()[15] == 0
    assert patches(sandbox) == [200, 200]
    assert console_errors == []


def test_a_token_expired_on_spotzee_is_replaced_once_and_the_click_lands(
    signed_in: Page, sandbox, console_errors
) -> None:
    page = signed_in
    before = mints(sandbox)
    sandbox.advance(16 * 60)  # Spotzee's clock: the page's token is now expired
    switch(page, TIPS).click()
    expect(status(page)).to_have_text(f"{TIPS}: subscribed")
    assert sandbox.states()[21] == 1
    assert mints(sandbox) == before + 1
    assert patches(sandbox) == [401, 200]


def test_five_changes_made_together_after_expiry_cause_one_mint(
    page: Page, base_url: str, sandbox
) -> None:
    page.clock.install()
    sign_in(page, base_url)
    before = mints(sandbox)
    page.clock.fast_forward("16:00")  # the browser's clock says the token has expired
    sandbox.advance(16 * 60)
    names = ["Weekly newsletter", "Product updates", "Promotions by SMS", PUSH, TIPS]
    for name in names:
        switch(page, name).click()
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
    assert mints(sandbox) == before + 1
    assert patches(sandbox) == [200] * 5
    assert sandbox.states() == {7: 0, 8: 0, 9: 1, 12: 1, 15: 1, 21: 1}
    # The page shows what Spotzee confirmed last, for every switch.
    for name, on in zip(names, (False, False, True, True, True), strict=True):
        expect(switch(page, name)).to_be_checked(checked=on)


def test_a_token_about_to_expire_is_replaced_before_the_request(
    page: Page, base_url: str, sandbox
) -> None:
    page.clock.install()
    sign_in(page, base_url)
    before = mints(sandbox)
    page.clock.fast_forward("14:30")  # 30 s left by the browser's clock
    switch(page, PUSH).click()
    expect(status(page)).to_have_text(f"{PUSH}: subscribed")
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
        before = mints(sandbox)
        switch(page, PUSH).click()
        expect(status(page)).to_contain_text(f"{PUSH}: ")
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
    page: Page, base_url: str, sandbox
) -> None:
    page.clock.install()
    sign_in(page, base_url)
    page.context.clear_cookies()
    page.clock.fast_forward("16:00")
    switch(page, PUSH).click()
    expect(status(page)).to_contain_text("not saved")
    expect(status(page).get_by_role("link", name="Sign in again")).to_be_visible()
    expect(switch(page, PUSH)).not_to_be_checked()
    assert sandbox.states()[15] == 0


def test_unsubscribing_from_a_channel_asks_in_a_dialog_and_can_be_undone(
    signed_in: Page, sandbox
) -> None:
    page = signed_in
    page.get_by_role("button", name="Unsubscribe from all email").click()
    expect(page.get_by_role("dialog")).to_contain_text("Unsubscribe from all email?")
    answer_dialog(page, yes=False)
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert sandbox.states()[7] == 1
    page.get_by_role("button", name="Unsubscribe from all email").click()
    answer_dialog(page)
    expect(status(page)).to_contain_text("All email: unsubscribed")
    expect(switch(page, "Weekly newsletter")).not_to_be_checked()
    assert sandbox.states()[7] == 0 and sandbox.states()[8] == 0
    # All email is off now: no button to unsubscribe from it again.
    expect(page.get_by_role("button", name="Unsubscribe from all email")).to_have_count(0)
    status(page).get_by_role("button", name="Undo").click()
    expect(status(page)).to_contain_text("your subscriptions are back as they were")
    expect(switch(page, "Weekly newsletter")).to_be_checked()
    assert (sandbox.states()[7], sandbox.states()[8]) == (1, 2)


def test_the_token_never_reaches_storage_cookies_the_url_or_the_console(
    page: Page, base_url: str, sandbox
) -> None:
    logged: list[str] = []
    page.on("console", lambda message: logged.append(message.text))
    sign_in(page, base_url)
    switch(page, PUSH).click()
    expect(status(page)).to_have_text(f"{PUSH}: subscribed")
    token = sandbox.mint()  # a token's shape: three base64url parts
    stored = page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
        " document.cookie, location.href, document.documentElement.outerHTML])"
    )
    assert "eyJ" not in stored and token not in stored
    assert page.locator("#contact-session").count() == 0
    assert page.locator('input[name="contact_token"]').count() == 0
    cookies = page.context.cookies()
    assert not any("eyJ" in cookie["value"] for cookie in cookies if cookie["name"] != "session")
    assert not any("eyJ" in text for text in logged)


def test_without_javascript_every_switch_still_works(new_context, base_url: str, sandbox) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, base_url)
    form = page.locator("#preference-21")
    form.get_by_role("switch").check()
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base_url}/preferences")
    expect(status(page)).to_have_text(f"{TIPS}: subscribed")
    expect(switch(page, TIPS)).to_be_checked()
    assert sandbox.states()[21] == 1
    page.get_by_role("button", name="Unsubscribe from everything").click()
    page.get_by_role("button", name="Yes, unsubscribe").click()
    expect(status(page)).to_contain_text("Everything: unsubscribed")
    assert sandbox.states()[21] == 0 and sandbox.states()[7] == 0


def test_a_keyboard_alone_signs_in_changes_and_unsubscribes(
    page: Page, base_url: str, sandbox
) -> None:
    page.goto(f"{base_url}/preferences")
    # The email field has focus on arrival (autofocus lands with the first frame drawn,
    # which on a busy machine can come after the load event).
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type("jane@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("demo")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/preferences")

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

    tab_to("switch-15")
    page.keyboard.press("Space")
    expect(status(page)).to_have_text(f"{PUSH}: subscribed")
    assert sandbox.states()[15] == 1
    tab_to("Unsubscribe from all email")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_be_visible()
    # The dialog opens on Cancel; one step back is the yes.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(status(page)).to_contain_text("All email: unsubscribed")
    # The button is gone (all email is off): focus waits on Undo, next to the message.
    assert page.evaluate("() => document.activeElement.id") == "undo-button"
    assert patches(sandbox) == [200, 200]


def test_the_page_fits_a_320_pixel_screen(page: Page, base_url: str, sandbox) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    sign_in(page, base_url)
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 320
    switch(page, PUSH).click()
    expect(status(page)).to_have_text(f"{PUSH}: subscribed")
