"""From the inbox, in a real browser: a preference link opened where nobody ever signed in
changes a preference (renewing its token as the signed-in page does), and stays a link."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from backend.links import email_links
from e2e.support import (
    CUSTOMERS,
    EXTERNAL_ID,
    mints,
    one_off,
    patches,
    sign_in,
    status,
    subscriptions,
    switch,
)


def masked(email: str) -> str:
    """How a link's page names whose preferences it shows: "j•••@example.com"."""
    name, _, domain = email.rpartition("@")
    return f"{name[:1]}•••@{domain}"


def test_a_preference_link_works_in_a_browser_that_never_saw_the_site(
    new_context, base_url: str, link_secret_key: str, put_back
) -> None:
    link = email_links(EXTERNAL_ID, base_url=base_url, secret_key=link_secret_key).preferences
    as_found = put_back(link=link)
    page = new_context().new_page()  # no cookies, no history
    page.goto(link)
    whose = masked(CUSTOMERS["main"][0])
    expect(page.get_by_text(f"These are the preferences of {whose}")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    off = one_off(page)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert as_found.saved()[off.id] == 1
    expect(page.locator(".recent")).to_contain_text("from an email link")
    # A link is no sign-in: the account's own page still asks who you are.
    page.goto(f"{base_url}/preferences")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_a_preference_links_page_renews_its_expired_token(
    new_context, base_url: str, link_secret_key: str, put_back, sandbox
) -> None:
    link = email_links(EXTERNAL_ID, base_url=base_url, secret_key=link_secret_key).preferences
    put_back(link=link)
    page = new_context().new_page()
    page.goto(link)
    off = one_off(page)
    before = mints(sandbox)
    sandbox.advance(16 * 60)  # the page's token has expired on Spotzee
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    assert sandbox.states()[off.id] == 1
    assert mints(sandbox) == before + 1 and patches(sandbox) == [401, 200]


def test_a_links_token_changes_nothing_from_another_customers_page(
    new_context, base_url: str, link_secret_key: str, put_back
) -> None:
    """As an attacker would try it: signed in as one customer and holding another's link,
    send the link page's token to their own page. Spotzee would act on the token's contact;
    the app refuses the token without passing it on, so neither contact changes."""
    link = email_links(EXTERNAL_ID, base_url=base_url, secret_key=link_secret_key).preferences
    theirs = put_back(link=link)
    put_back("other")
    page = new_context().new_page()
    sign_in(page, base_url, "other")
    own = subscriptions(page)
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    opened = page.goto(link)
    assert opened is not None
    token = re.search(r'data-token="([^"]+)"', opened.text())
    assert token, "the link's page carries no token"
    off = one_off(page)
    before = theirs.saved()
    answer = page.request.post(
        f"{base_url}/preferences/subscriptions/{off.id}",
        form={"csrf_token": csrf, "previous_state": "0", "subscribed": "1"},
        headers={"HX-Request": "true", "X-CSRFToken": csrf, "X-Spotzee-User-Token": token[1]},
    )
    assert answer.status == 401
    assert answer.headers.get("x-contact-token-rejected") == "true"
    assert theirs.saved() == before
    page.goto(f"{base_url}/preferences")
    assert subscriptions(page) == own


def test_a_tampered_link_gets_a_page_that_offers_sign_in(new_context, base_url: str) -> None:
    page = new_context().new_page()
    link = email_links(EXTERNAL_ID, base_url=base_url, secret_key="not-the-key").preferences
    response = page.goto(link)
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This link doesn't work")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
