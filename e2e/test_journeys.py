"""Customer journeys that run against any deployment (`--base-url`) as well as the local
stack. The preferences they change are put back as found, pass or fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from e2e.put_back import AsFound
from e2e.support import CUSTOMERS, a_channel_with_something_on, answer_dialog, sign_in, status


def switches(page: Page) -> dict[str, bool]:
    """Every switch on the page: its id and whether it is on."""
    result = {}
    for control in page.get_by_role("switch").all():
        result[control.get_attribute("id")] = control.is_checked()
    return result


def channels(page: Page) -> list[str]:
    return page.locator("section.channel").evaluate_all(
        "sections => sections.map(s => s.querySelector('input[role=switch]').id)"
    )


def set_switch(page: Page, switch_id: str, on: bool) -> None:
    control = page.locator(f"#{switch_id}")
    if control.is_checked() != on:
        label = page.locator(f"label[for={switch_id}]").inner_text().split("\n")[0].strip()
        control.click()
        expect(status(page)).to_have_text(f"{label}: {'subscribed' if on else 'unsubscribed'}")
    expect(page.locator(f"#{switch_id}")).to_be_checked(checked=on)


def test_one_switch_of_each_channel_is_saved(page: Page, base_url: str, as_found: AsFound) -> None:
    sign_in(page, base_url)
    before = switches(page)
    chosen = channels(page)
    assert len(chosen) >= 1
    for switch_id in chosen:
        set_switch(page, switch_id, not before[switch_id])
    page.reload()
    after = switches(page)
    for switch_id in chosen:
        assert after[switch_id] is not before[switch_id], f"{switch_id} was not saved"
    saved = as_found.saved()  # and Spotzee itself says so
    for switch_id in chosen:
        assert (saved[int(switch_id.split("-")[1])] in (1, 2)) is after[switch_id]


@pytest.mark.parametrize("scope", ["a channel", "everything"])
def test_unsubscribe_from_all(page: Page, base_url: str, as_found: AsFound, scope: str) -> None:
    sign_in(page, base_url)
    if scope == "a channel":
        channel = a_channel_with_something_on(page)
        button, covered = channel.button, {f"switch-{s.id}" for s in channel.subscriptions}
    else:
        button, covered = "Unsubscribe from everything", set(switches(page))
    page.get_by_role("button", name=button, exact=True).click()
    answer_dialog(page)
    expect(status(page)).to_contain_text(": unsubscribed")
    page.reload()
    after = switches(page)
    assert covered and not any(after[switch_id] for switch_id in covered)


def test_signing_out_and_in_again_shows_the_same_state(
    page: Page, base_url: str, as_found: AsFound
) -> None:
    sign_in(page, base_url)
    first = next(iter(switches(page)))
    before = switches(page)
    set_switch(page, first, not before[first])
    changed = switches(page)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You've signed out.")
    sign_in(page, base_url)
    assert switches(page) == changed


def test_one_customer_never_sees_or_changes_anothers_preferences(
    new_context, base_url: str, put_back: Callable[..., AsFound]
) -> None:
    put_back("main")
    put_back("other")
    main, other = new_context().new_page(), new_context().new_page()
    sign_in(main, base_url, "main")
    sign_in(other, base_url, "other")
    assert CUSTOMERS["main"][0] not in other.content()
    assert CUSTOMERS["other"][0] not in main.content()
    main_before = switches(main)
    first = next(iter(switches(other)))
    other_before = switches(other)
    set_switch(other, first, not other_before[first])
    main.reload()
    assert switches(main) == main_before
