"""What everything that drives Chromium shares: which Chromium, and how a customer signs in.

The end-to-end suite, the screenshots and the benchmarks all use these, so a change to the
sign-in form is made once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

DEMO_EMAIL = "jane@example.com"
# Flags a headless Chromium needs on a machine with a closed network: without them it
# tries to reach Google's hosts at every start.
QUIET_FLAGS = ["--disable-background-networking", "--disable-component-update", "--no-first-run"]


def chromium_executable() -> str | None:
    """The machine's Chromium ($CHROMIUM, else /usr/bin/chromium); None: Playwright's own."""
    candidate = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    return candidate if Path(candidate).is_file() else None


def launch_options(**options: Any) -> dict[str, Any]:
    """Playwright launch options for this machine's Chromium, added to `options`."""
    launch = {**options, "args": [*options.get("args", []), *QUIET_FLAGS]}
    executable = chromium_executable()
    if executable:
        launch["executable_path"] = executable
    return launch


def sign_in(
    page: Page, base_url: str, email: str = DEMO_EMAIL, password: str | None = None
) -> None:
    """Sign in through the app's own form, from the preference page, and land back on it."""
    page.goto(f"{base_url}/preferences")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password or os.environ.get("DEMO_PASSWORD") or "demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/preferences")
