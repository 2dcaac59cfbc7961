"""Spotzee misbehaving (sandbox fault control): each failure ends with the switch showing
the true saved state and an honest message, and trying again works."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.support import patches

PUSH = "Order updates by push"


@pytest.mark.parametrize(
    "fault", [{"status": 503}, {"status": 429}], ids=["503", "429-retry-after"]
)
def test_a_refused_change_shows_the_truth_and_can_be_tried_again(
    signed_in: Page, sandbox, fault
) -> None:
    page = signed_in
    sandbox.fault(method="PATCH", path="subscriptions/me", **fault)
    page.get_by_role("switch", name=PUSH).click()
    expect(page.locator("#status")).to_contain_text(f"{PUSH}: not saved")
    expect(page.locator("#status")).to_contain_text("Please try again")
    expect(page.get_by_role("switch", name=PUSH)).not_to_be_checked()
    assert sandbox.states()[15] == 0
    page.get_by_role("button", name="Try again").click()
    expect(page.locator("#status")).to_have_text(f"{PUSH}: subscribed")
    expect(page.get_by_role("switch", name=PUSH)).to_be_checked()
    assert sandbox.states()[15] == 1


def test_two_seconds_of_latency_still_lands_and_the_switch_is_busy_meanwhile(
    signed_in: Page, sandbox
) -> None:
    page = signed_in
    sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=2000)
    page.get_by_role("switch", name=PUSH).click()
    expect(page.get_by_role("switch", name=PUSH)).to_have_attribute("aria-busy", "true")
    expect(page.locator("#status")).to_have_text(f"{PUSH}: subscribed", timeout=10_000)
    expect(page.get_by_role("switch", name=PUSH)).to_be_checked()
    assert sandbox.states()[15] == 1


def test_a_busy_switch_ignores_more_clicks_and_sends_one_change(signed_in: Page, sandbox) -> None:
    page = signed_in
    sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=800)
    page.get_by_role("switch", name=PUSH).dblclick()
    expect(page.get_by_role("switch", name=PUSH)).to_have_attribute("aria-busy", "true")
    page.get_by_role("switch", name=PUSH).click(force=True)
    expect(page.locator("#status")).to_have_text(f"{PUSH}: subscribed")
    expect(page.get_by_role("switch", name=PUSH)).to_be_checked()
    assert patches(sandbox) == [200]
    assert sandbox.states()[15] == 1
