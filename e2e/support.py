"""What the end-to-end tests share besides fixtures: who signs in, what the page shows, and
readers of what the browser received and what Spotzee (the sandbox) saw. Imported as
`e2e.support`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

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
# The main customer's Spotzee contact: what the links in emails name, and whose states are
# read from a sandbox. The demo's Jane unless given.
EXTERNAL_ID = os.environ.get("E2E_EXTERNAL_ID") or "cust-9f4b21"
# The key that must never reach a browser: the deployment's, or the sandbox demo key. With a
# sandbox, it also reads the main customer's states there, as the deployment would.
SECRET_KEY = os.environ.get("SPOTZEE_SECRET_KEY") or DEFAULT_SECRET_KEY
PATCHES = "/api/client/subscriptions/me"
# What signs the links in emails: the local stack's, or the deployment's (to test its links).
LINK_SECRET_KEY = os.environ.get("E2E_LINK_SECRET_KEY") or "e2e-only-link-key"
# How long the app may take to give up on a Spotzee that does not answer: seconds with the
# local stack's timeouts (STACK_ENV), about twenty with a deployment's defaults.
GIVING_UP_MS = 30_000


@dataclass(frozen=True)
class Subscription:
    """A subscription type as the page shows it: its id, its name, and whether it is on."""

    id: int
    name: str
    on: bool


def subscriptions(page: Page) -> list[Subscription]:
    """Every switch on the page, in the page's order."""
    rows = page.locator("#preferences form:has(input[role=switch])").evaluate_all(
        "forms => forms.map(f => {"
        " const s = f.querySelector('input[role=switch]');"
        " return [s.id, f.dataset.subject, s.checked]; })"
    )
    return [Subscription(int(i.removeprefix("switch-")), name, on) for i, name, on in rows]


def one_off(page: Page) -> Subscription:
    """The first subscription type the page shows off (a test's set-up makes sure of one)."""
    off = [s for s in subscriptions(page) if not s.on]
    assert off, "the page shows no subscription type that is off"
    return off[0]


def switch(page: Page, subscription: Subscription) -> Locator:
    """A subscription type's switch (by its id, which stays put when the list re-renders)."""
    return page.locator(f"#switch-{subscription.id}")


@dataclass(frozen=True)
class Channel:
    """A channel's "unsubscribe from all": its button, how messages name it ("All email"),
    and the subscription types it covers."""

    button: str
    subject: str
    subscriptions: tuple[Subscription, ...]


def a_channel_with_something_on(page: Page, subscription: Subscription | None = None) -> Channel:
    """The channel of `subscription`, or the first one with a type on (so with a button)."""
    sections = page.locator("section.channel:has(form.unsubscribe)")
    if subscription is not None:
        sections = sections.filter(has=switch(page, subscription))
    section = sections.first
    form = section.locator("form.unsubscribe")
    ids = {
        int(i.removeprefix("switch-"))
        for i in section.get_by_role("switch").evaluate_all("s => s.map(e => e.id)")
    }
    return Channel(
        form.get_by_role("button").inner_text().strip(),
        form.get_attribute("data-subject") or "",
        tuple(s for s in subscriptions(page) if s.id in ids),
    )


def status(page: Page) -> Locator:
    """The live region that says what happened."""
    return page.locator("#status")


class PaceRefused(AssertionError):
    """The deployment answered 429 Too many attempts: the suite loads pages far faster than
    a customer does, and the deployment's limits stopped it."""

    def __init__(self, url: str, retry_after: str | None = None) -> None:
        super().__init__(
            f"{url} answered 429 Too many attempts: the deployment's MINT_LIMIT (or "
            "SIGN_IN_LIMIT) is too low for this suite; raise it (see e2e/README.md)"
        )
        self.retry_after = int(retry_after) if retry_after and retry_after.isdigit() else 60


def sign_in(page: Page, base_url: str, who: str = "main") -> None:
    """Sign in as one of the two test customers through the app's own form."""
    email, password = CUSTOMERS[who]
    browser.sign_in(page, base_url, email, password)


def watch_for_refusals(context: BrowserContext) -> list[PaceRefused]:
    """Record every page or token the deployment refuses for the suite's pace."""
    refused: list[PaceRefused] = []

    def inspect(response: Response) -> None:
        asked = response.request
        if response.status == 429 and (
            asked.resource_type == "document" or asked.url.endswith("/contact-session")
        ):
            refused.append(PaceRefused(asked.url, response.headers.get("retry-after")))

    context.on("response", inspect)
    return refused


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


@dataclass
class Sandbox(SandboxClient):
    """The sandbox this run may use: the suite's own, reset before each test, or a
    deployment's (`--sandbox-url`), which is never reset. So its request log is read from
    a mark: what came after the test's set-up."""

    seen: list[dict[str, Any]] = field(default_factory=list)

    def mark(self) -> None:
        """Count requests from now on. The log's last few entries locate now later, even
        once older ones have dropped off the front of it."""
        self.seen = super().log()[-20:]

    def log(self) -> list[dict[str, Any]]:
        entries = super().log()
        count = len(self.seen)
        if count == 0:
            return entries
        for end in range(count, len(entries) + 1):
            if entries[end - count : end] == self.seen:
                return entries[end:]
        raise AssertionError("the sandbox's request log no longer reaches back to this test")

    def states(self, external_id: str = EXTERNAL_ID, *, key: str = SECRET_KEY) -> dict[int, int]:
        """As the deployment's secret key reads them (the base class uses the demo's)."""
        return super().states(external_id, key=key)


def mints(sandbox: SandboxClient, external_id: str = EXTERNAL_ID) -> int:
    path = f"/api/client/users/{external_id}/sessions"
    return sum(1 for entry in sandbox.log() if entry["path"] == path)


def patches(sandbox: SandboxClient) -> list[int]:
    """The status of every PATCH /subscriptions/me Spotzee answered, oldest first."""
    return [e["status"] for e in sandbox.log() if e["path"] == PATCHES]


def answer_dialog(page: Page, yes: bool = True) -> None:
    """Answer the page's own "unsubscribe from all?" dialog."""
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("button", name="Yes, unsubscribe" if yes else "Cancel").click()
