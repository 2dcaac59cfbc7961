"""What the end-to-end tests share besides fixtures: who signs in, and readers of what the
browser received and what Spotzee (the sandbox) saw. Imported as `e2e.support`."""

from __future__ import annotations

import os

from playwright.sync_api import BrowserContext, Locator, Page, Response

from sandbox.fixture import DEFAULT_SECRET_KEY
from sandbox.testing import SandboxClient
from tooling import browser

CUSTOMERS = {
    "main": (
        os.environ.get("E2E_EMAIL", "jane@example.com"),
        os.environ.get("E2E_PASSWORD", os.environ.get("DEMO_PASSWORD", "demo")),
    ),
    "other": (
        os.environ.get("E2E_OTHER_EMAIL", "omar@example.com"),
        os.environ.get("E2E_OTHER_PASSWORD", os.environ.get("DEMO_PASSWORD", "demo")),
    ),
}
# The key that must never reach a browser: the deployment's, or the sandbox demo key.
SECRET_KEY = os.environ.get("SPOTZEE_SECRET_KEY") or DEFAULT_SECRET_KEY
PATCHES = "/api/client/subscriptions/me"
# What signs the links in emails: the local stack's, or the deployment's (to test its links).
LINK_SECRET_KEY = os.environ.get("E2E_LINK_SECRET_KEY") or "e2e-only-link-key"
# Two of the demo's subscription types, off in the demo fixture.
PUSH = "Order updates by push"
TIPS = "In-app tips"


def switch(page: Page, name: str) -> Locator:
    """A subscription type's switch, by its accessible name."""
    return page.get_by_role("switch", name=name)


def status(page: Page) -> Locator:
    """The live region that says what happened."""
    return page.locator("#status")


def sign_in(page: Page, base_url: str, who: str = "main") -> None:
    """Sign in as one of the two test customers through the app's own form."""
    email, password = CUSTOMERS[who]
    browser.sign_in(page, base_url, email, password)


def watch_for_secrets(context: BrowserContext) -> list[str]:
    """Record every response the browser receives that carries the secret key."""
    leaks: list[str] = []

    def inspect(response: Response) -> None:
        seen = str(response.headers)
        if (
            response.request.resource_type in ("document", "xhr", "fetch", "script", "stylesheet")
            and not 300 <= response.status < 400
        ):
            seen += response.text()
        if SECRET_KEY in seen:
            leaks.append(response.url)

    context.on("response", inspect)
    return leaks


def mints(sandbox: SandboxClient, external_id: str = "cust-9f4b21") -> int:
    path = f"/api/client/users/{external_id}/sessions"
    return sum(1 for entry in sandbox.log() if entry["path"] == path)


def patches(sandbox: SandboxClient) -> list[int]:
    """The status of every PATCH /subscriptions/me Spotzee answered, oldest first."""
    return [e["status"] for e in sandbox.log() if e["path"] == PATCHES]


def answer_dialog(page: Page, yes: bool = True) -> None:
    """Answer the page's own "unsubscribe from all?" dialog."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Yes, unsubscribe" if yes else "Cancel").click()
