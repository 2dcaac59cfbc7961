"""End-to-end fixtures: a real Chromium against a running stack.

By default the sandbox and the web app are started on free ports. With `--base-url URL` the
suite runs the customer journeys against that deployment instead, signing in with
E2E_EMAIL / E2E_PASSWORD (and E2E_OTHER_EMAIL / E2E_OTHER_PASSWORD for the second
customer); tests that need the sandbox's controls then say so and do not run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Response

from devserver import free_port
from sandbox.fixture import DEFAULT_SECRET_KEY
from sandbox.testing import SandboxClient
from scripts.stack import Service, services


def system_chromium() -> str | None:
    candidate = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    return candidate if Path(candidate).is_file() else None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use the machine's Chromium when it has one; Playwright's own download otherwise."""
    executable = system_chromium()
    args = [
        *browser_type_launch_args.get("args", []),
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ]
    launch = {**browser_type_launch_args, "args": args}
    if executable:
        launch["executable_path"] = executable
    return launch


@pytest.fixture(scope="session")
def stack(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Service, Service] | None]:
    if pytestconfig.getoption("base_url"):
        yield None
        return
    data = tmp_path_factory.mktemp("stack")
    sandbox, app = services(app_port=free_port(), sandbox_port=free_port(), data=data)
    started = []
    try:
        for service in (sandbox, app):
            service.start(quiet=True)
            started.append(service)
            service.wait_ready()
        yield sandbox, app
    finally:
        for service in reversed(started):
            service.stop()


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


@pytest.fixture
def spotzee_states(stack: tuple[Service, Service] | None) -> Any:
    """Read the main customer's states straight from Spotzee (the sandbox, with the secret
    key) when the suite runs its own stack; None against a deployment."""
    if stack is None:
        return None
    client = SandboxClient(url=stack[0].url, http=requests.Session())
    return client.states


def sign_in(page: Page, base_url: str, who: str = "main") -> None:
    email, password = CUSTOMERS[who]
    page.goto(f"{base_url}/preferences")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/preferences")


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


@pytest.fixture(autouse=True)
def no_secret_reaches_the_browser(context: BrowserContext) -> Iterator[list[str]]:
    """Across every journey: no response the browser receives contains the secret key."""
    leaks = watch_for_secrets(context)
    yield leaks
    assert leaks == [], f"the secret key reached the browser in {leaks}"


def mints(sandbox: SandboxClient, external_id: str = "cust-9f4b21") -> int:
    path = f"/api/client/users/{external_id}/sessions"
    return sum(1 for entry in sandbox.log() if entry["path"] == path)


def patches(sandbox: SandboxClient) -> list[int]:
    return [e["status"] for e in sandbox.log() if e["path"] == "/api/client/subscriptions/me"]


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
