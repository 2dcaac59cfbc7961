"""End-to-end fixtures: a real Chromium against a running stack.

By default the sandbox and the web app are started on free ports. With `--base-url URL` the
suite runs the customer journeys against that deployment instead, signing in with
E2E_EMAIL / E2E_PASSWORD (and E2E_OTHER_EMAIL / E2E_OTHER_PASSWORD for the second
customer); tests that need the sandbox's controls then say so and do not run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from sandbox.testing import SandboxClient
from tooling.browser import launch_options
from tooling.devserver import free_port
from tooling.stack import Service, running, services

from .support import LINK_SECRET_KEY, sign_in, watch_for_secrets

# The local stack's web app waits less for Spotzee than a deployment would, so that tests
# of a slow or lost answer take seconds; and it lets one customer sign in and load pages
# faster than a person would (the limits themselves are tested in tests/).
STACK_ENV = {
    "SPOTZEE_READ_TIMEOUT": "3",
    "SPOTZEE_RECONCILE_SECONDS": "4",
    "MINT_LIMIT": "1000 per minute",
    "SIGN_IN_LIMIT": "1000 per minute",
    "LINK_SECRET_KEY": LINK_SECRET_KEY,
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use the machine's Chromium when it has one; Playwright's own download otherwise."""
    return launch_options(**browser_type_launch_args)


@pytest.fixture(scope="session")
def stack(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, Service] | None]:
    if pytestconfig.getoption("base_url"):
        yield None
        return
    data = tmp_path_factory.mktemp("stack")
    sandbox, app = services(
        app_port=free_port(), sandbox_port=free_port(), data=data, extra_env=STACK_ENV
    )
    with running(sandbox, app):
        yield sandbox, app


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config, stack: tuple[Service, Service] | None) -> str:
    configured = pytestconfig.getoption("base_url")
    if configured:
        return configured.rstrip("/")
    assert stack is not None
    return stack[1].url


NEEDS_SANDBOX = (
    "needs the sandbox's test controls (clock, faults, request log), so it runs only when "
    "the suite starts its own stack: run it without --base-url"
)


@pytest.fixture
def sandbox(stack: tuple[Service, Service] | None) -> Iterator[SandboxClient]:
    """The stack's sandbox, reset to the demo fixture for this test."""
    if stack is None:
        pytest.skip(NEEDS_SANDBOX)
    with requests.Session() as http:
        client = SandboxClient(url=stack[0].url, http=http)
        client.reset()
        yield client


@pytest.fixture
def signed_in(page: Page, base_url: str, sandbox: SandboxClient) -> Page:
    """Jane, signed in, on her preference page."""
    sign_in(page, base_url)
    return page


@pytest.fixture
def spotzee_states(stack: tuple[Service, Service] | None) -> Any:
    """Read the main customer's states straight from Spotzee (the sandbox, with the secret
    key) when the suite runs its own stack; None against a deployment."""
    if stack is None:
        return None
    client = SandboxClient(url=stack[0].url, http=requests.Session())
    return client.states


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext],
) -> Iterator[Callable[..., BrowserContext]]:
    """Every browser context a test opens, `page`'s included: pytest-playwright's, so that
    a failure keeps its trace and screenshot, and watched: no response any of them
    receives may contain the secret key."""
    leaks: list[list[str]] = []

    def watched(**options: Any) -> BrowserContext:
        context = new_context(**options)
        leaks.append(watch_for_secrets(context))
        return context

    yield watched
    leaked = [url for found in leaks for url in found]
    assert leaked == [], f"the secret key reached the browser in {leaked}"


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions; CSP violations appear here as errors."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
