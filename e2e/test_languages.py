"""The page in each shipped language, chosen from the header's menu: its words, the brand's
words for a type, and what the script says after a change; Arabic mirrored and accessible;
German, the longest, on a 320-pixel screen."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from e2e.support import TIPS, sign_in, status, switch

# language: (its name in the menu, the heading's start, "In-app tips", "… subscribed")
SPOKEN = {
    "en": ("English", "Hi Jane, choose", TIPS, f"{TIPS}: subscribed"),
    "es": (
        "Español", "Hola, Jane: elige", "Consejos en la app",
        "Consejos en la app: suscripción activada",
    ),
    "de": ("Deutsch", "Hallo Jane, wählen", "Tipps in der App", "Tipps in der App: abonniert"),
    "fr": (
        "Français", "Bonjour Jane", "Astuces dans l'appli",
        "Astuces dans l'appli : abonnement activé",
    ),
    "ar": ("العربية", "مرحبًا Jane", "نصائح داخل التطبيق", "نصائح داخل التطبيق: تم الاشتراك"),
}  # fmt: skip


# The menu's name in each language; the page starts in English (Jane's locale is en-AU).
MENU = {"en": "Language", "es": "Idioma", "de": "Sprache", "fr": "Langue", "ar": "اللغة"}


def current(page: Page) -> str:
    return page.locator("html").get_attribute("lang")


def choose(page: Page, language: str) -> None:
    """Open the header's language menu and pick one, as a customer would."""
    page.locator(".languages summary").click()
    menu = page.get_by_role("navigation", name=MENU.get(current(page), "Language"))
    menu.get_by_role("link", name=SPOKEN[language][0], exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", list(SPOKEN))
def test_the_preference_page_in_each_language(page: Page, base_url: str, sandbox, language):
    sign_in(page, base_url)
    choose(page, language)
    _, greeting, tips, subscribed = SPOKEN[language]
    expect(page.get_by_role("heading", level=1)).to_contain_text(greeting)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if language == "ar" else "ltr")
    switch(page, tips).click()
    expect(status(page)).to_have_text(subscribed)
    # The choice is remembered: a fresh load is still in this language.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(switch(page, tips)).to_be_checked()


def test_arabic_mirrors_and_is_accessible(page: Page, base_url: str, sandbox) -> None:
    sign_in(page, base_url)
    choose(page, "ar")
    # Right to left: the brand sits at the right, the switches at the left of their words.
    brand = page.locator(".brand").bounding_box()
    menu = page.locator(".languages").bounding_box()
    assert brand["x"] > menu["x"]
    label = page.get_by_text("نصائح داخل التطبيق", exact=True).bounding_box()
    assert switch(page, "نصائح داخل التطبيق").bounding_box()["x"] < label["x"]
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("width", [320, 400, 1024])
def test_the_open_language_menu_stays_on_screen(
    page: Page, base_url: str, sandbox, language, width
):
    page.set_viewport_size({"width": width, "height": 640})
    sign_in(page, base_url)  # the header with Sign out in it, which wraps on a phone
    page.goto(f"{base_url}/language/{language}?next=/preferences")
    page.locator(".languages summary").click()
    for link in page.locator(".languages nav a").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (link, box)


@pytest.mark.parametrize("scripting", ["enabled", "disabled"])
def test_german_fits_a_320_pixel_screen(browser, base_url: str, sandbox, scripting) -> None:
    context = browser.new_context(
        viewport={"width": 320, "height": 640},
        java_script_enabled=scripting == "enabled",
    )
    page = context.new_page()
    try:
        sign_in(page, base_url)
        choose(page, "de")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
        if scripting == "disabled":
            # Without JavaScript no sentence says changes save themselves, and each Save
            # button sits under its switch, all in one column.
            expect(page.get_by_text("Jede Änderung wird sofort gespeichert")).to_be_hidden()
            saves = page.get_by_role("button", name="Speichern")
            boxes = [button.bounding_box() for button in saves.all()]
            assert len(boxes) > 1
            assert len({round(box["x"] + box["width"]) for box in boxes}) == 1, boxes
    finally:
        context.close()
