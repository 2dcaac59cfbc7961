"""From the inbox, in a real browser: a preference link opened where nobody ever signed in
changes a preference (renewing its token as the signed-in page does), and stays a link."""

from __future__ import annotations

from playwright.sync_api import expect

from backend.links import email_links
from e2e.support import LINK_SECRET_KEY, TIPS, mints, patches, status, switch


def test_a_preference_link_works_in_a_browser_that_never_saw_the_site(
    new_context, base_url: str, sandbox
) -> None:
    page = new_context().new_page()  # no cookies, no history
    link = email_links("cust-9f4b21", base_url=base_url, secret_key=LINK_SECRET_KEY).preferences
    page.goto(link)
    expect(page.get_by_text("These are the preferences of j•••@example.com")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    before = mints(sandbox)
    sandbox.advance(16 * 60)  # the page's token has expired on Spotzee
    switch(page, TIPS).click()
    expect(status(page)).to_have_text(f"{TIPS}: subscribed")
    assert sandbox.states()[21] == 1
    assert mints(sandbox) == before + 1 and patches(sandbox) == [401, 200]
    expect(page.locator(".recent")).to_contain_text("from an email link")
    # A link is no sign-in: the account's own page still asks who you are.
    page.goto(f"{base_url}/preferences")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_a_tampered_link_gets_a_page_that_offers_sign_in(new_context, base_url: str) -> None:
    page = new_context().new_page()
    link = email_links("cust-9f4b21", base_url=base_url, secret_key="not-the-key").preferences
    response = page.goto(link)
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This link doesn't work")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
