"""Spotzee misbehaving (sandbox fault control): each failure ends with the switch showing
the true saved state and an honest message, and trying again works."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.support import GIVING_UP_MS, one_off, patches, status, subscriptions, switch


def test_a_refused_change_shows_the_truth_and_can_be_tried_again(signed_in: Page, sandbox) -> None:
    """429: Spotzee's verdict that it did nothing. The switch goes back; Try again works."""
    page = signed_in
    off = one_off(page)
    # The live region is one element for the page's life, its content replaced by every
    # answer: some screen readers announce nothing of a region inserted with its text.
    status(page).evaluate("region => { region.dataset.kept = 'yes'; }")
    sandbox.fault(method="PATCH", path="subscriptions/me", status=429)
    switch(page, off).click()
    expect(status(page)).to_contain_text(f"{off.name}: not saved")
    expect(status(page)).to_contain_text("Please try again")
    expect(switch(page, off)).not_to_be_checked()
    assert sandbox.states()[off.id] == 0
    page.get_by_role("button", name="Try again").click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    expect(switch(page, off)).to_be_checked()
    expect(switch(page, off)).to_be_focused()  # Try again is gone: focus is on the switch
    assert sandbox.states()[off.id] == 1
    expect(status(page)).to_have_attribute("data-kept", "yes")


def test_two_seconds_of_latency_still_lands_and_the_switch_is_busy_meanwhile(
    signed_in: Page, sandbox
) -> None:
    page = signed_in
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=2000)
    switch(page, off).click()
    expect(switch(page, off)).to_have_attribute("aria-busy", "true")
    expect(switch(page, off)).to_have_css("animation-name", "busy")  # it shows it is working
    expect(status(page)).to_have_text(f"{off.name}: subscribed", timeout=10_000)
    expect(switch(page, off)).to_be_checked()
    assert sandbox.states()[off.id] == 1


def test_keyboard_focus_stays_where_the_customer_is_while_answers_arrive(
    signed_in: Page, sandbox
) -> None:
    """Space on one switch, on to the next and Space again while the first is on its way:
    each answer re-renders the list, and focus stays on the second switch throughout (a
    stray focus would make the next Space change another subscription)."""
    page = signed_in
    first, second = subscriptions(page)[:2]
    sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=1500, count=2)
    switch(page, first).focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    expect(switch(page, second)).to_be_focused()
    page.keyboard.press("Space")
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
    expect(switch(page, second)).to_be_focused()
    assert sandbox.states()[first.id] == int(not first.on)
    assert sandbox.states()[second.id] == int(not second.on)


def test_a_busy_switch_ignores_more_clicks_and_sends_one_change(signed_in: Page, sandbox) -> None:
    page = signed_in
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=800)
    switch(page, off).dblclick()
    expect(switch(page, off)).to_have_attribute("aria-busy", "true")
    switch(page, off).click(force=True)
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    expect(switch(page, off)).to_be_checked()
    assert patches(sandbox) == [200]
    assert sandbox.states()[off.id] == 1


def test_a_passing_503_is_asked_again_and_the_change_lands(signed_in: Page, sandbox) -> None:
    """A 5xx may come after the change was made, so it is asked again with the same key."""
    page = signed_in
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", status=503)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert sandbox.states()[off.id] == 1
    assert patches(sandbox) == [503, 200]


def test_spotzee_down_for_the_change_shows_what_is_saved_and_claims_nothing(
    signed_in: Page, sandbox
) -> None:
    page = signed_in
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", status=503, count=100)
    switch(page, off).click()
    expect(status(page)).to_contain_text(
        f"{off.name}: we couldn't confirm this change in time", timeout=GIVING_UP_MS
    )
    expect(status(page)).not_to_contain_text("not saved")
    expect(switch(page, off)).not_to_be_checked()  # what Spotzee has
    assert sandbox.states()[off.id] == 0


def test_changes_made_quickly_are_answered_in_order(signed_in: Page, sandbox) -> None:
    """A slow first answer never lands on top of a newer one: changes wait their turn."""
    page = signed_in
    first, second = subscriptions(page)[:2]
    sandbox.fault(method="PATCH", path="subscriptions/me", after=True, latency_ms=1500)
    switch(page, first).click()
    switch(page, second).click()
    # (Turning off a confirmed type says more after this: that the confirmation is gone.)
    expect(status(page)).to_contain_text(
        f"{second.name}: {'unsubscribed' if second.on else 'subscribed'}", timeout=10_000
    )
    page.wait_for_function("() => !document.querySelector('[aria-busy=\"true\"]')")
    expect(switch(page, first)).to_be_checked(checked=not first.on)
    expect(switch(page, second)).to_be_checked(checked=not second.on)
    saved = sandbox.states()
    assert (saved[first.id] > 0, saved[second.id] > 0) == (not first.on, not second.on)
