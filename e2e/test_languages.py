"""The page in each shipped language, chosen from the header's menu: its words, and what the
script says after a change; Arabic mirrored and accessible; German, the longest, on a
320-pixel screen; the open menu on screen at any width. Nothing here needs the sandbox's
controls, and nothing depends on the demo's subscription types."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from e2e.put_back import AsFound
from e2e.support import one_off, sign_in, status, subscriptions, switch

# language: (its name in the menu, the menu's own name, how the heading starts, what a
# type turned on is followed by in the live region)
SPOKEN = {
    "en": ("English", "Language", "Hi ", ": subscribed"),
    "es": ("Español", "Idioma", "Hola, ", ": suscripción activada"),
    "de": ("Deutsch", "Sprache", "Hallo ", ": abonniert"),
    "fr": ("Français", "Langue", "Bonjour ", " : abonnement activé"),
    "ar": ("العربية", "اللغة", "مرحبًا ", ": تم الاشتراك"),
}


def choose(page: Page, language: str) -> None:
    """Open the header's language menu and pick one, as a customer would."""
    current = page.locator("html").get_attribute("lang") or "en"
    page.locator(".languages summary").click()
    menu = page.get_by_role("navigation", name=SPOKEN.get(current, SPOKEN["en"])[1])
    menu.get_by_role("link", name=SPOKEN[language][0], exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", list(SPOKEN))
def test_the_preference_page_in_each_language(
    page: Page, base_url: str, as_found: AsFound, language: str
) -> None:
    sign_in(page, base_url)
    choose(page, language)
    _, _, greeting, subscribed = SPOKEN[language]
    expect(page.get_by_role("heading", level=1)).to_contain_text(greeting)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    off = one_off(page)  # named as the page names it, in this language
    switch(page, off).click()
    expect(status(page)).to_have_text(f"{off.name}{subscribed}")
    # The choice is remembered: a fresh load is still in this language.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(switch(page, off)).to_be_checked()


def test_arabic_mirrors_and_is_accessible(page: Page, base_url: str) -> None:
    sign_in(page, base_url)
    choose(page, "ar")
    # Right to left: the brand at the right of the header, each switch left of its words.
    brand = page.locator(".brand").bounding_box()
    menu = page.locator(".languages").bounding_box()
    assert brand["x"] > menu["x"]
    first = subscriptions(page)[0]
    label = page.locator(f"label[for=switch-{first.id}]").bounding_box()
    assert switch(page, first).bounding_box()["x"] < label["x"]
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 400, 1024])
def test_the_open_language_menu_stays_on_screen(
    page: Page, base_url: str, language: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 640})
    sign_in(page, base_url)  # the header with Sign out in it, which wraps on a phone
    page.goto(f"{base_url}/language/{language}?next=/preferences")
    page.locator(".languages summary").click()
    for link in page.locator(".languages nav a").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (link, box)


@pytest.mark.parametrize("scripting", ["enabled", "disabled"])
def test_german_fits_a_320_pixel_screen(new_context, base_url: str, scripting: str) -> None:
    context = new_context(
        viewport={"width": 320, "height": 640}, java_script_enabled=scripting == "enabled"
    )
    page = context.new_page()
    sign_in(page, base_url)
    choose(page, "de")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    if scripting == "disabled":
        # Without JavaScript no sentence says changes save themselves, and each Save
        # button sits under its switch, all in one column.
        expect(page.get_by_text("Jede Änderung wird sofort gespeichert")).to_be_hidden()
        boxes = [
            button.bounding_box() for button in page.get_by_role("button", name="Speichern").all()
        ]
        assert len(boxes) > 1
        assert len({round(box["x"] + box["width"]) for box in boxes}) == 1, boxes
