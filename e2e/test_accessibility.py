"""WCAG 2.2 AA as axe-core checks it, on every page and every state of the preference page,
in light and dark; plus zoom, reduced motion and visible focus."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from backend.links import email_links
from e2e.support import (
    EXTERNAL_ID,
    a_channel_with_something_on,
    answer_dialog,
    one_off,
    sign_in,
    status,
    subscriptions,
    switch,
)

axe = Axe()


def assert_accessible(page: Page, state: str) -> None:
    results = axe.run(page)
    assert results.violations_count == 0, f"{state}:\n{results.generate_report()}"


@pytest.fixture(params=["light", "dark"])
def scheme(request, page: Page) -> str:
    page.emulate_media(color_scheme=request.param)
    return request.param


def test_sign_in_page_and_its_error_state(page: Page, base_url: str, scheme) -> None:
    page.goto(f"{base_url}/login")
    assert_accessible(page, f"sign-in ({scheme})")
    # An address no customer has: a failed attempt never counts against a real one's limit.
    page.get_by_label("Email").fill("nobody@example.invalid")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("don't match")
    assert_accessible(page, f"sign-in error ({scheme})")


def test_preference_page_in_every_state(page: Page, base_url: str, as_found, scheme) -> None:
    sign_in(page, base_url)
    assert_accessible(page, f"preferences ({scheme})")

    off = one_off(page)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert_accessible(page, f"success ({scheme})")

    channel = a_channel_with_something_on(page)
    page.get_by_role("button", name=channel.button, exact=True).click()
    expect(page.get_by_role("dialog")).to_be_visible()
    assert_accessible(page, f"asking before unsubscribing ({scheme})")
    answer_dialog(page)
    expect(status(page)).to_contain_text(f"{channel.subject}: unsubscribed")
    assert_accessible(page, f"undo offered, recent changes ({scheme})")


def test_preference_page_busy_and_after_an_error(
    page: Page, base_url: str, sandbox, scheme
) -> None:
    sign_in(page, base_url)
    off = one_off(page)
    sandbox.fault(method="PATCH", path="subscriptions/me", latency_ms=1500)
    switch(page, off).click()
    expect(switch(page, off)).to_have_attribute("aria-busy", "true")
    assert_accessible(page, f"busy ({scheme})")
    expect(status(page)).to_have_text(f"{off.name}: subscribed", timeout=10_000)

    sandbox.fault(method="PATCH", path="subscriptions/me", status=429)
    switch(page, off).click()
    expect(status(page)).to_contain_text("not saved")
    assert_accessible(page, f"error ({scheme})")


def test_pages_reached_from_an_email(
    page: Page, base_url: str, link_secret_key: str, put_back, scheme
) -> None:
    link = email_links(EXTERNAL_ID, base_url=base_url, secret_key=link_secret_key).preferences
    put_back(link=link)
    page.goto(link)
    assert_accessible(page, f"preference link ({scheme})")
    first = subscriptions(page)[0]
    links = email_links(
        EXTERNAL_ID, base_url=base_url, secret_key=link_secret_key, subscription_id=first.id
    )
    page.goto(links.unsubscribe)
    assert_accessible(page, f"one-click unsubscribe ({scheme})")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You're unsubscribed")
    assert_accessible(page, f"one-click done ({scheme})")


def test_page_not_found(page: Page, base_url: str, scheme) -> None:
    page.goto(f"{base_url}/nowhere")
    assert_accessible(page, f"404 ({scheme})")


def test_spotzee_unavailable_page(page: Page, base_url: str, sandbox, scheme) -> None:
    sign_in(page, base_url)
    sandbox.fault(status=503, count=10)
    response = page.goto(f"{base_url}/preferences")
    assert response is not None and response.status == 503
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Our messaging service is unavailable"
    )
    assert_accessible(page, f"503 ({scheme})")


def test_confirmation_page_without_javascript(new_context, base_url: str, as_found) -> None:
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, base_url)
    channel = a_channel_with_something_on(page)
    page.get_by_role("button", name=channel.button, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{channel.button}?")
    context.close()
    # axe needs JavaScript to run: reach the same page with it on, by a native submit
    # (form.submit() fires no submit event, so htmx leaves it alone).
    page2 = new_context().new_page()
    sign_in(page2, base_url)
    page2.locator("section.channel form.unsubscribe").first.evaluate("form => form.submit()")
    expect(page2.get_by_role("heading", level=1)).to_have_text(f"{channel.button}?")
    assert_accessible(page2, "confirmation")


def test_the_page_works_at_200_percent_zoom(page: Page, base_url: str, as_found) -> None:
    page.set_viewport_size({"width": 640, "height": 400})  # a 1280 px window at 200%
    sign_in(page, base_url)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 640
    off = one_off(page)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")


def test_reduced_motion_turns_transitions_off(page: Page, base_url: str) -> None:
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, base_url)
    duration = page.evaluate(
        "() => getComputedStyle(document.querySelector('.switch')).transitionDuration"
    )
    assert duration == "0s"


def test_keyboard_focus_is_visible(page: Page, base_url: str) -> None:
    sign_in(page, base_url)
    page.get_by_role("switch").first.focus()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
