"""`make screenshots`: pictures of the main states for the README, in docs/screenshots/.

Starts the stack on free ports, signs in as the demo customer and photographs the
preference page in light and dark, at desktop and phone width, after a change, and in
Arabic (right to left).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tooling.browser import launch_options, sign_in
from tooling.devserver import free_port
from tooling.stack import ROOT, running, services

OUT = ROOT / "docs" / "screenshots"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as data:
        sandbox, app = services(app_port=free_port(), sandbox_port=free_port(), data=Path(data))
        with running(sandbox, app), sync_playwright() as playwright:
            browser = playwright.chromium.launch(**launch_options())
            shots = [
                ("preferences-light", "light", 1024),
                ("preferences-dark", "dark", 1024),
                ("preferences-phone", "light", 360),
                ("preferences-arabic", "light", 1024),
            ]
            for name, scheme, width in shots:
                page = browser.new_page(
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                sign_in(page, app.url)
                if name == "preferences-light":
                    page.get_by_role("switch", name="Order updates by push").click()
                    page.locator("#status").get_by_text("subscribed").wait_for()
                if name == "preferences-arabic":
                    page.locator(".languages summary").click()
                    page.get_by_role("link", name="العربية").click()
                    page.locator("html[dir=rtl]").wait_for(state="attached")
                page.screenshot(path=OUT / f"{name}.png", full_page=True)
                print(f"wrote docs/screenshots/{name}.png")
                page.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
