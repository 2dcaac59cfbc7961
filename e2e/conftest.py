"""End-to-end fixtures: a real Chromium against a running stack.

By default the sandbox and the web app are started on free ports. With `--base-url URL` the
suite runs against that deployment instead (see e2e/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import ConsoleMessage, Page

from devserver import free_port
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
    sandbox, app = services(
        app_port=free_port(),
        sandbox_port=free_port(),
        extra_env={
            "SANDBOX_DATABASE": str(data / "sandbox.sqlite3"),
            "APP_DATABASE": str(data / "app.sqlite3"),
            "FLASK_SECRET_KEY": "e2e-only-secret",
        },
    )
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


@pytest.fixture
def sandbox(stack: tuple[Service, Service] | None) -> Iterator[SandboxClient]:
    """The stack's sandbox, reset to the demo fixture for this test."""
    if stack is None:
        pytest.fail("This test needs the sandbox's controls; run it without --base-url.")
    with requests.Session() as http:
        client = SandboxClient(url=stack[0].url, http=http)
        client.reset()
        yield client


@pytest.fixture
def signed_in(page: Page, base_url: str, sandbox: SandboxClient) -> Page:
    """Jane, signed in, on her preference page."""
    sign_in(page, base_url)
    return page


def sign_in(page: Page, base_url: str, email: str = "jane@example.com") -> None:
    page.goto(f"{base_url}/preferences")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(os.environ.get("DEMO_PASSWORD", "demo"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/preferences")


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
