"""Pages load in a real browser, cleanly: htmx only where it is used, configured as
DESIGN.md says, under a strict CSP."""

from playwright.sync_api import Page, expect

from e2e.support import answer_dialog, one_off, sign_in, status, switch


def test_pages_without_switches_load_no_javascript(page: Page, base_url: str) -> None:
    scripts: list[str] = []
    page.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    for path in ("/", "/login"):
        response = page.goto(f"{base_url}{path}")
        assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert scripts == []


def test_the_preference_page_loads_htmx_configured_and_no_console_errors(
    page: Page, base_url: str, console_errors: list[str]
) -> None:
    sign_in(page, base_url)
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.htmx && window.htmx.version") == "2.0.11"
    config = page.evaluate(
        "() => ({allowEval: htmx.config.allowEval, styles: htmx.config.includeIndicatorStyles,"
        " selfOnly: htmx.config.selfRequestsOnly, history: htmx.config.historyCacheSize})"
    )
    assert config == {"allowEval": False, "styles": False, "selfOnly": True, "history": 0}
    assert console_errors == []


def test_home_page_is_served_with_a_strict_content_security_policy(
    page: Page, base_url: str
) -> None:
    response = page.goto(f"{base_url}/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy


def test_no_page_logs_an_error_or_a_csp_violation(
    page: Page, base_url: str, as_found, console_errors: list[str]
) -> None:
    page.goto(f"{base_url}/login")
    sign_in(page, base_url)
    off = one_off(page)
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}: subscribed")
    page.get_by_role("button", name="Unsubscribe from everything").click()
    answer_dialog(page)
    expect(status(page)).to_contain_text("Everything: unsubscribed")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You've signed out.")
    assert console_errors == []
