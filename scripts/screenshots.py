"""`make screenshots`: pictures of the main states for the README, in docs/screenshots/.

Starts the stack on free ports, signs in as the demo customer and photographs the
preference page in light and dark, at desktop and phone width, and after a change.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from stack import ROOT, services

from devserver import free_port

OUT = ROOT / "docs" / "screenshots"


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/preferences")
    page.get_by_label("Email").fill("jane@example.com")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/preferences")


def main() -> int:
    data = Path(tempfile.mkdtemp(prefix="screenshots-"))
    sandbox, app = services(app_port=free_port(), sandbox_port=free_port(), data=data)
    executable = os.environ.get("CHROMIUM") or "/usr/bin/chromium"
    launch = {"executable_path": executable} if Path(executable).is_file() else {}
    OUT.mkdir(parents=True, exist_ok=True)
    try:
        for service in (sandbox, app):
            service.start(quiet=True)
            service.wait_ready()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch)
            shots = [
                ("preferences-light", "light", 1024),
                ("preferences-dark", "dark", 1024),
                ("preferences-phone", "light", 360),
            ]
            for name, scheme, width in shots:
                page = browser.new_page(
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                sign_in(page, app.url)
                if name == "preferences-light":
                    page.get_by_role("switch", name="Order updates by push").click()
                    page.locator("#status").get_by_text("subscribed").wait_for()
                page.screenshot(path=OUT / f"{name}.png", full_page=True)
                print(f"wrote docs/screenshots/{name}.png")
                page.close()
            browser.close()
    finally:
        app.stop()
        sandbox.stop()
        shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
