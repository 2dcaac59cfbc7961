"""What a visit costs: the first under 80 KB of HTML, CSS and JS together (uncompressed);
a repeat visit downloads only the HTML (static files are fingerprinted, cached a year)."""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Request

from e2e.support import CUSTOMERS

BUDGET_BYTES = 80 * 1024
COUNTED = ("document", "stylesheet", "script")


def signed_in_context(new_context, base_url: str) -> BrowserContext:
    """A browser with an empty cache, signed in without loading any page."""
    context = new_context()
    login = context.request.get(f"{base_url}/login").text()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    email, password = CUSTOMERS["main"]
    signed = context.request.post(
        f"{base_url}/login",
        form={"email": email, "password": password, "csrf_token": csrf},
        max_redirects=0,
        headers={"Referer": f"{base_url}/login"},
    )
    assert signed.status == 303
    return context


def test_first_visit_is_light_and_a_repeat_visit_downloads_only_the_html(
    new_context, base_url: str
) -> None:
    context = signed_in_context(new_context, base_url)
    page = context.new_page()
    fetched: list[Request] = []
    page.on("requestfinished", lambda request: fetched.append(request))

    page.goto(f"{base_url}/preferences")
    page.wait_for_load_state("load")
    sizes = {r.url: r.sizes()["responseBodySize"] for r in fetched if r.resource_type in COUNTED}
    assert any(url.endswith("/preferences") for url in sizes)
    assert any("htmx" in url for url in sizes) and any("preferences.js" in url for url in sizes)
    assert sum(sizes.values()) < BUDGET_BYTES, sizes

    fetched.clear()
    page.goto(f"{base_url}/preferences")
    page.wait_for_load_state("load")
    statics = [r for r in fetched if r.resource_type in COUNTED and r.resource_type != "document"]
    assert len(statics) >= 3
    # From the browser's cache: no bytes and no revalidation (a 304 would be a round trip).
    for request in statics:
        assert request.response().status == 200, request.url
        assert request.sizes()["responseBodySize"] <= 0, request.url
    context.close()
