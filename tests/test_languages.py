"""Languages and the brand: every word translated in five languages, chosen in the right
order, dates in the customer's language and timezone, and the brand's words and look set
by configuration alone."""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import unquote

import pytest
from babel.dates import get_month_names
from babel.messages.pofile import read_po
from flask_babel import force_locale, refresh

from frontend.i18n import gettext, translations
from tests.support import JANE, OMAR, ROOT, links_for, path_of

LANGUAGES = ("es", "de", "fr", "ar")
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def catalogue(language: str):
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po)


# -- the catalogues -------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_shipped_catalogue_is_complete(language: str) -> None:
    messages = [m for m in catalogue(language) if m.id]
    assert messages
    for message in messages:
        assert message.string, f"{language}: untranslated: {message.id!r}"
        assert not message.fuzzy, f"{language}: fuzzy: {message.id!r}"
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(
            PLACEHOLDER.findall(message.id)
        ), f"{language}: placeholders differ in {message.id!r}"


def test_the_catalogues_hold_every_word_the_code_and_templates_say(tmp_path) -> None:
    """A word added to a template or to the code without `make update-catalogues` fails."""
    pot = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603 - our own interpreter and Babel's extractor
        [
            sys.executable, "-m", "babel.messages.frontend", "-q", "extract",
            "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), ".",
        ],
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    with pot.open("rb") as source:
        spoken = {m.id for m in read_po(source) if m.id}
    for language in LANGUAGES:
        shipped = {m.id for m in catalogue(language) if m.id}
        assert spoken - shipped == set(), f"{language} lacks {spoken - shipped}"
        assert shipped - spoken == set(), f"{language} keeps words no longer used"


READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder"}
JINJA = re.compile(r"\{%-?\s*trans\b.*?endtrans\s*-?%\}|\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.hidden += tag in ("script", "style")
        self.found += [
            v for k, v in attrs if k in READ_ATTRIBUTES and v and re.search(r"[A-Za-z]{2}", v)
        ]

    def handle_endtag(self, tag) -> None:
        self.hidden -= tag in ("script", "style")

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.found += re.findall(r"[A-Za-z][A-Za-z']+", data)


def unmarked_words(source: str) -> list[str]:
    """Words a template writes outside {{ … }} and {% trans %}: its literal text, and the
    literal values of attributes people read (aria-label, title, alt, placeholder)."""
    parser = _Words()
    parser.feed(JINJA.sub("0", source))
    parser.close()
    return parser.found


@pytest.mark.parametrize("template", sorted(p.name for p in (ROOT / "templates").glob("*.html")))
def test_every_template_word_is_marked_for_translation(template: str) -> None:
    assert unmarked_words((ROOT / "templates" / template).read_text()) == []


def test_the_check_finds_an_unmarked_word() -> None:
    assert unmarked_words('<p class="x">Hello {{ name }}</p>') == ["Hello"]
    assert unmarked_words('<nav aria-label="Main">{{ _("ok") }}</nav>') == ["Main"]
    assert unmarked_words('<p>{{ _("Hello") }}</p>') == []


# -- choosing the language ------------------------------------------------------------------


def turn_on_tips(web, headers: dict[str, str] | None = None):
    """Turn "In-app tips" (21) on as the page's form does, its contact token in the form."""
    return web.client.post(
        "/preferences/subscriptions/21",
        data={"previous_state": "0", "subscribed": "1", "csrf_token": web.csrf(),
              "contact_token": web.token()},
        headers=headers or {},
    )  # fmt: skip


def heading(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()


@pytest.mark.parametrize(
    ("accept", "lang", "dir_", "title"),
    [
        ("es-ES,es;q=0.9", "es", "ltr", "Iniciar sesión"),
        ("de", "de", "ltr", "Anmelden"),
        ("fr-CA,fr;q=0.8", "fr", "ltr", "Se connecter"),
        ("ar", "ar", "rtl", "تسجيل الدخول"),
        ("ja", "en", "ltr", "Sign in"),
        ("", "en", "ltr", "Sign in"),
    ],
)
def test_a_browsers_language_is_spoken_when_nothing_else_says(web, accept, lang, dir_, title):
    html = web.client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}" dir="{dir_}">' in html
    assert heading(html) == title


def test_the_customers_choice_beats_the_contacts_locale_and_the_browser(web) -> None:
    web.sign_in()
    browser = {"Accept-Language": "fr"}
    # The contact's locale in Spotzee (en-AU) beats the browser's French.
    assert heading(
        web.client.get("/preferences", headers=browser).get_data(as_text=True)
    ).startswith("Hi Jane")
    chosen = web.client.get("/language/de?next=/preferences")
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/preferences"
    assert "lang=de" in chosen.headers["Set-Cookie"]
    page = web.client.get("/preferences", headers=browser).get_data(as_text=True)
    assert heading(page).startswith("Hallo Jane")
    assert '<html lang="de" dir="ltr">' in page
    # Changes answer in the chosen language too.
    change = turn_on_tips(web, {"HX-Request": "true"})
    assert "Tipps in der App: abonniert" in change.get_data(as_text=True)


@pytest.mark.parametrize(
    ("accept", "lang"),
    [("fr-CA,en;q=0.5", "fr"), ("es-419,en;q=0.9", "es"), ("en-GB,ar;q=0.5", "en"),
     ("pt-BR,de;q=0.8,en;q=0.5", "de"), ("*", "en")],
)  # fmt: skip
def test_the_browsers_first_choice_we_speak_wins_not_an_exact_match_lower_down(
    web, accept, lang
) -> None:
    html = web.client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}"' in html


def test_the_contacts_locale_beats_the_browser(web) -> None:
    web.sandbox.call("POST", "/users/batch", json=[{"external_id": JANE, "locale": "es-MX"}])
    web.sign_in()
    page = web.client.get("/preferences", headers={"Accept-Language": "de"})
    assert heading(page.get_data(as_text=True)) == "Hola, Jane: elige lo que te enviamos"


def test_the_catalogue_kept_for_an_answer_follows_a_change_of_language(web) -> None:
    """Words come from the catalogue kept for the answer; a language settled mid-answer
    (the contact's, once the page has read it) is spoken from then on, not the first one."""
    with web.app.test_request_context(headers={"Accept-Language": "de"}):
        assert gettext("Save") == "Speichern"
        assert translations() is translations()  # looked up once
        with force_locale("es"):
            assert gettext("Save") == "Guardar"
            assert web.app.jinja_env.from_string("{{ _('Save') }}").render() == "Guardar"
        assert gettext("Save") == "Speichern"
        refresh()
        assert gettext("%(name)s: subscribed", name="SMS") == "SMS: abonniert"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_the_language_menu_only_goes_back_to_this_site(web, target) -> None:
    assert web.client.get(f"/language/fr?next={target}").headers["Location"] == "/preferences"


@pytest.mark.parametrize("path", ["/", "/login", "/nowhere"])
def test_pages_say_they_vary_by_language(web, path) -> None:
    vary = web.client.get(path).headers.get("Vary", "")
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in vary.split(",")}


def menu_returns_to(html: str) -> set[str]:
    return {
        unquote(n).replace("&amp;", "&")
        for n in re.findall(r'href="/language/\w+\?next=([^"]+)"', html)
    }


def test_the_preference_page_echoes_no_query_beside_its_tokens(web) -> None:
    """It is sent compressed with its tokens: a query a third party chose must not sit
    beside them (BREACH). The sign-in form keeps its `next` in the menu."""
    web.sign_in()
    page = web.client.get("/preferences?q=ZZREFLECTED", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.get_data()).decode()
    assert "ZZREFLECTED" not in html and menu_returns_to(html) == {"/preferences"}
    web.client.post("/logout", data={"csrf_token": web.csrf()})
    login = web.client.get("/login?next=/p/abc").get_data(as_text=True)
    assert menu_returns_to(login) == {"/login?next=/p/abc"}


def test_the_menu_on_an_answer_to_a_form_returns_to_a_page_not_the_forms_address(web) -> None:
    web.sign_in()
    asked = web.client.post(  # "unsubscribe from everything" without JavaScript: a page
        "/preferences/unsubscribe/all",
        data={"csrf_token": web.csrf(), "subscription_id": "7", "state_7": "1"},
    )
    assert asked.status_code == 200 and menu_returns_to(asked.get_data(as_text=True)) == {
        "/preferences"
    }
    refused = web.client.post("/login", data={"email": "x@example.com", "password": "x"})
    assert menu_returns_to(refused.get_data(as_text=True)) == {"/login"}


def test_an_unknown_language_is_a_404(web) -> None:
    assert web.client.get("/language/xx").status_code == 404


def test_the_language_menu_names_each_language_in_its_own_words(web) -> None:
    html = web.client.get("/login").get_data(as_text=True)
    for code, name in (("es", "Español"), ("de", "Deutsch"), ("ar", "العربية")):
        assert f'lang="{code}" hreflang="{code}">{name}</a>' in html
    assert 'lang="en" hreflang="en" aria-current="true">English</a>' in html


def test_recent_changes_are_dated_in_the_customers_language_and_timezone(web) -> None:
    web.sign_in()
    turn_on_tips(web)
    web.client.get("/language/fr")
    html = web.client.get("/preferences").get_data(as_text=True)
    [stamp] = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    at, shown = stamp
    from datetime import datetime
    from zoneinfo import ZoneInfo

    sydney = datetime.fromisoformat(at).astimezone(ZoneInfo("Australia/Sydney"))
    assert f"{sydney.hour:02d}:{sydney.minute:02d}" in shown  # Jane's timezone, not UTC
    assert str(sydney.year) in shown
    french_month = get_month_names("abbreviated", locale="fr")[sydney.month]
    assert french_month in shown
    # Named as the brand names the type in French, though it was made in English.
    assert "Astuces dans l&#39;appli : abonnement activé" in html


@pytest.mark.parametrize("zone", ["posix/Europe/London", "right/UTC", "localtime", "Nowhere/X"])
def test_a_timezone_babel_cannot_use_is_utc_not_a_broken_page(web, zone) -> None:
    web.sandbox.call("POST", "/users/batch", json=[{"external_id": JANE, "timezone": zone}])
    web.sign_in()
    turn_on_tips(web)
    page = web.client.get("/preferences")
    assert page.status_code == 200 and "<time datetime=" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("hers", "greeting", "her_answer"),
    [
        (None, "Hi", "In-app tips: subscribed"),  # Jane's own en-AU
        ("fr-FR", "Bonjour", "Astuces dans l&#39;appli : abonnement activé"),
    ],
    ids=["english", "french"],
)
def test_a_link_to_another_contact_leaves_the_customers_own_language_as_it_was(
    linked, hers, greeting, her_answer
) -> None:
    contacts = [{"external_id": OMAR, "locale": "de-DE"}]
    if hers:
        contacts.append({"external_id": JANE, "locale": hers})
    linked.sandbox.call("POST", "/users/batch", json=contacts)
    linked.sign_in()
    assert heading(linked.client.get("/preferences").get_data(as_text=True)).startswith(greeting)
    his = linked.client.get(path_of(links_for(OMAR).preferences)).get_data(as_text=True)
    assert '<html lang="de"' in his
    # Back on her own page without reloading it: her answers are still in her language.
    change = turn_on_tips(linked, {"HX-Request": "true"})
    assert her_answer in change.get_data(as_text=True)


def test_the_customers_own_language_outlasts_links_opened_before_her_last_visit(linked) -> None:
    """The session keeps the latest few contacts' languages: hers, used since, is not the
    one to go, whatever its id (Flask writes a session's dicts with their keys sorted)."""
    from frontend.i18n import REMEMBERED_CONTACTS

    others = [f"cust-a{i}" for i in range(REMEMBERED_CONTACTS)]  # all sort after hers
    contacts = [{"external_id": JANE, "locale": "fr-FR"}]
    linked.sandbox.call(
        "POST", "/users/batch", json=contacts + [{"external_id": e} for e in others]
    )
    linked.sign_in()
    linked.client.get("/preferences")
    for external_id in others[:-1]:
        linked.client.get(path_of(links_for(external_id).preferences))
    linked.client.get("/preferences")  # hers again: now the latest
    linked.client.get(path_of(links_for(others[-1]).preferences))
    change = turn_on_tips(linked, {"HX-Request": "true"})
    assert "Astuces dans l&#39;appli : abonnement activé" in change.get_data(as_text=True)


# -- the brand's words and look -----------------------------------------------------------


def test_the_brands_words_describe_each_type_and_a_type_without_any_shows_its_name(
    make_web, tmp_path
) -> None:
    words = tmp_path / "catalogue.toml"
    words.write_text(
        '[always]\nen = "Receipts always arrive."\n'
        '[meta]\nen = "Our own description."\n'
        '[subscriptions.7.en]\ndescription = "The best of the week."\nfrequency = "Fridays"\n'
        '[subscriptions.7.es]\nname = "Boletín"\ndescription = "Lo mejor de la semana."\n'
    )
    web = make_web(BRAND_CATALOGUE=str(words))
    web.sign_in()
    html = web.client.get("/preferences").get_data(as_text=True)
    assert (
        '<p class="description" id="about-7">The best of the week. '
        '<span class="frequency">Fridays</span></p>' in html
    )
    assert 'aria-describedby="about-7"' in html
    assert 'id="about-21"' not in html and ">In-app tips</label>" in html
    assert '<p class="always">Receipts always arrive.</p>' in html
    assert '<meta name="description" content="Our own description.">' in html
    web.client.get("/language/es")
    spanish = web.client.get("/preferences").get_data(as_text=True)
    assert ">Boletín</label>" in spanish and "Lo mejor de la semana." in spanish


def test_the_brands_look_comes_from_configuration(make_web) -> None:
    web = make_web(
        BRAND_NAME="Northwind",
        BRAND_LOGO_URL="https://cdn.northwind.example/logo.svg",
        BRAND_STYLESHEET_URL="https://cdn.northwind.example/brand.css",
        BRAND_SUPPORT_URL="https://northwind.example/help",
    )
    page = web.client.get("/login")
    html = page.get_data(as_text=True)
    assert (
        '<img class="brand-logo-image" src="https://cdn.northwind.example/logo.svg" '
        'alt="Northwind">' in html
    )
    assert html.index("css/app.css") < html.index("https://cdn.northwind.example/brand.css")
    assert '<a href="https://northwind.example/help">Need help?</a>' in html
    assert "· Northwind</title>" in html
    assert "Acme" not in html  # the meta description names the brand too
    policy = page.headers["Content-Security-Policy"]
    assert "style-src 'self' https://cdn.northwind.example" in policy
    assert "img-src 'self' data: https://cdn.northwind.example" in policy
    assert "script-src 'self';" in policy  # nothing else widens


def test_a_brand_host_in_unicode_is_named_as_browsers_ask_for_it(make_web) -> None:
    web = make_web(BRAND_LOGO_URL="https://bücher.example:8443/logo.svg")
    policy = web.client.get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://xn--bcher-kva.example:8443;" in policy


def test_without_brand_hosts_the_policy_stays_same_origin(web) -> None:
    policy = web.client.get("/").headers["Content-Security-Policy"]
    assert "style-src 'self';" in policy and "img-src 'self' data:;" in policy


def test_every_page_has_a_meta_description_in_the_customers_language(web) -> None:
    html = web.client.get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert (
        '<meta name="description" content="Wählen Sie, welche E-Mails, SMS und '
        'Benachrichtigungen Sie von Acme Outfitters bekommen.">' in html
    )
