"""End-to-end fixtures: a real Chromium against a running stack.

By default the sandbox and the web app are started on free ports. With `--base-url URL` the
suite runs against that deployment instead, signing in with E2E_EMAIL / E2E_PASSWORD (and
E2E_OTHER_EMAIL / E2E_OTHER_PASSWORD for the second customer), and with `--sandbox-url URL`
it also drives the test controls of the sandbox that deployment uses. A test that needs
controls (or a secret) the run does not have says so in one line and does not run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from tooling.browser import launch_options
from tooling.devserver import free_port
from tooling.stack import Service, running, services

from .put_back import AsFound, PreferencePage
from .support import (
    EXTERNAL_ID,
    LINK_SECRET_KEY,
    SECRET_KEY,
    PaceRefused,
    Sandbox,
    sign_in,
    watch_for_refusals,
    watch_for_secrets,
)

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

NEEDS_CONTROLS = (
    "needs the sandbox's test controls (to move Spotzee's clock, inject a fault or count its "
    "requests): run with --sandbox-url URL of the deployment's sandbox, or without --base-url"
)
NEEDS_LINK_KEY = (
    "signs a link as the deployment's emails do: set E2E_LINK_SECRET_KEY to its "
    "LINK_SECRET_KEY (and E2E_EXTERNAL_ID to the main test customer's external_id)"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--sandbox-url",
        metavar="URL",
        help="the origin of the sandbox the deployment at --base-url uses, with its test "
        "controls on (SANDBOX_CONTROLS=1): lets the tests that need them run too",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("sandbox_url") and not config.getoption("base_url"):
        raise pytest.UsageError(
            "--sandbox-url names the sandbox of the deployment at --base-url; without "
            "--base-url the suite starts a stack of its own."
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Against a deployment, skip what the run lacks the means for, before any set-up."""
    if not config.getoption("base_url"):
        return
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "sandbox" in names and not config.getoption("sandbox_url"):
            item.add_marker(pytest.mark.skip(reason=NEEDS_CONTROLS))
        if "link_secret_key" in names and not os.environ.get("E2E_LINK_SECRET_KEY"):
            item.add_marker(pytest.mark.skip(reason=NEEDS_LINK_KEY))


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


@pytest.fixture(scope="session")
def deployment_sandbox(pytestconfig: pytest.Config) -> Iterator[Sandbox | None]:
    """The sandbox --sandbox-url names, checked once: its controls answer us, and it holds
    the main customer's contact, readable with the deployment's secret key."""
    url = pytestconfig.getoption("sandbox_url")
    if not url:
        yield None
        return
    with requests.Session() as http:
        client = Sandbox(url=url.rstrip("/"), http=http)
        try:
            clock = client.control("GET", "clock").status_code
            contact = client.call("GET", f"/users/{EXTERNAL_ID}", key=SECRET_KEY).status_code
        except requests.RequestException as error:
            pytest.exit(f"--sandbox-url {url} does not answer: {error}", returncode=4)
        if clock == 403:
            pytest.exit(
                f"The sandbox at {url} answers its controls only to a Host naming it: start "
                "it with SANDBOX_HOST set to the host name in --sandbox-url.",
                returncode=4,
            )
        if clock != 200:
            pytest.exit(
                f"The sandbox at {url} has no test controls: start it with SANDBOX_CONTROLS=1.",
                returncode=4,
            )
        if contact != 200:
            pytest.exit(
                f"The sandbox at {url} has no contact {EXTERNAL_ID!r} that SPOTZEE_SECRET_KEY "
                "can read: set E2E_EXTERNAL_ID to the main test customer's external_id, and "
                "SPOTZEE_SECRET_KEY to the deployment's secret key.",
                returncode=4,
            )
        yield client


@pytest.fixture
def spotzee(
    stack: tuple[Service, Service] | None, deployment_sandbox: Sandbox | None
) -> Iterator[Sandbox | None]:
    """The sandbox standing in for Spotzee, when the run has one; None against a deployment
    alone. The suite's own is reset to the demo fixture. A deployment's is never reset (its
    contacts are put back through the app instead): its faults are cleared, and its request
    log is read from here on."""
    if stack is not None:
        with requests.Session() as http:
            client = Sandbox(url=stack[0].url, http=http)
            client.reset()
            yield client
        return
    if deployment_sandbox is None:
        yield None
        return
    deployment_sandbox.control("DELETE", "faults")
    deployment_sandbox.mark()
    yield deployment_sandbox
    deployment_sandbox.control("DELETE", "faults")


@pytest.fixture
def put_back(
    new_context: Callable[..., BrowserContext],
    base_url: str,
    stack: tuple[Service, Service] | None,
    spotzee: Sandbox | None,
) -> Iterator[Callable[..., AsFound]]:
    """`put_back(who)` or `put_back(link=URL)`: a contact's preferences as found now, put
    back through the app after the test, pass or fail. Against a deployment it also makes
    sure one type is on and one off, and counts Spotzee's requests from then on."""
    recorded: list[AsFound] = []

    def record(who: str = "main", *, link: str | None = None) -> AsFound:
        external_id = EXTERNAL_ID if who == "main" else None
        if stack is not None:
            return AsFound(None, spotzee, external_id)
        context = new_context(java_script_enabled=False)
        if link is not None:
            page = PreferencePage(context, link, lambda _page: None)
        else:
            url = f"{base_url}/preferences"
            page = PreferencePage(context, url, lambda p: sign_in(p, base_url, who))
        as_found = AsFound(page, spotzee, external_id)
        recorded.append(as_found)
        as_found.one_on_and_one_off()
        if spotzee is not None:
            spotzee.mark()
        return as_found

    yield record
    if recorded and spotzee is not None:
        spotzee.control("DELETE", "faults")  # Spotzee well again before anything is put back
    failures = []
    for as_found in reversed(recorded):  # each contact, whatever became of another
        try:
            as_found.put_back()
        except Exception as failure:
            failures.append(str(failure))
    assert not failures, f"preferences not put back as found: {failures}"


@pytest.fixture
def as_found(put_back: Callable[..., AsFound]) -> AsFound:
    """The main customer's preferences, put back as found after the test."""
    return put_back("main")


@pytest.fixture
def sandbox(spotzee: Sandbox | None, as_found: AsFound) -> Sandbox:
    """The sandbox's test controls; tests that need them are skipped without them (see
    pytest_collection_modifyitems). Their changes are put back like any other."""
    assert spotzee is not None, NEEDS_CONTROLS
    return spotzee


@pytest.fixture
def link_secret_key() -> str:
    """What signs the links in the deployment's emails (skipped without it, as above)."""
    return LINK_SECRET_KEY


@pytest.fixture
def signed_in(page: Page, base_url: str, as_found: AsFound) -> Page:
    """The main customer, signed in, on their preference page."""
    sign_in(page, base_url)
    return page


@pytest.fixture
def new_context(
    new_context: Callable[..., BrowserContext],
) -> Iterator[Callable[..., BrowserContext]]:
    """Every browser context a test opens, `page`'s included: pytest-playwright's, so that
    a failure keeps its trace and screenshot, and watched. No response may carry the secret
    key; and none may be refused for the suite's pace, as a deployment's limits refuse a
    suite that loads pages faster than a customer would (said plainly, not left to look
    like a bug)."""
    leaks: list[list[str]] = []
    refused: list[list[PaceRefused]] = []

    def watched(**options: Any) -> BrowserContext:
        context = new_context(**options)
        refused.append(watch_for_refusals(context))
        leaks.append(watch_for_secrets(context))
        return context

    yield watched
    for found in refused:
        if found:
            raise found[0]
    leaked = [url for found in leaks for url in found]
    assert leaked == [], f"the secret key reached the browser in {leaked}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Once a deployment's limits refuse the suite, stop after this test (its preferences
    put back): every later test would be refused too."""
    report = yield
    if call.excinfo is not None and call.excinfo.errisinstance(PaceRefused):
        item.session.shouldstop = str(call.excinfo.value)
    return report


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
