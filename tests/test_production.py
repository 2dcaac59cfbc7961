"""Production mode: demo things only in the demo, refusing to start when misconfigured,
customers from the command line, the seam for a brand's own sign-in, health checks,
compression, and gunicorn as configured."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys

import pytest
import requests

from backend import create_app
from backend.config import ConfigurationError
from backend.identity import Customer
from tests.support import JANE, OMAR, PUBLISHABLE_KEY, ROOT, SECRET_KEY, csrf_of
from tooling.devserver import free_port
from tooling.stack import Service


def production(tmp_path, **config) -> dict:
    """What a production deployment sets: real keys, a session key, no DEMO."""
    return {
        "TESTING": True,
        "DEMO": False,
        "DATABASE": str(tmp_path / "app.sqlite3"),
        "SECRET_KEY": "a-long-random-production-key",
        "SPOTZEE_API_BASE": "https://apix.spotzee.com/api/client",
        "SPOTZEE_SECRET_KEY": "sk_live_0123456789abcdef",
        "SPOTZEE_PUBLISHABLE_KEY": "pk_live_0123456789abcdef",
        **config,
    }


def production_on(sandbox, tmp_path, **config) -> dict:
    """A production deployment whose Spotzee is the test sandbox (its keys, its address)."""
    return production(
        tmp_path,
        SPOTZEE_API_BASE=sandbox.api,
        SPOTZEE_SECRET_KEY=SECRET_KEY,
        SPOTZEE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        **config,
    )


# -- demo things only in the demo ---------------------------------------------------------


def test_outside_the_demo_no_account_exists_and_no_hint_is_shown(tmp_path) -> None:
    client = create_app(production(tmp_path)).test_client()
    page = client.get("/login").get_data(as_text=True)
    assert "jane@example.com" not in page and "Demo" not in page
    signed = client.post(
        "/login",
        data={"email": "jane@example.com", "password": "demo", "csrf_token": csrf_of(page)},
    )
    assert signed.status_code == 401


def test_the_demo_shows_its_sign_ins_and_their_password(web) -> None:
    page = web.client.get("/login").get_data(as_text=True)
    assert "jane@example.com" in page and "omar@example.com" in page
    assert "password <code>demo</code>" in page


# -- refusing to start ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"SPOTZEE_SECRET_KEY": ""}, "SPOTZEE_SECRET_KEY is not set"),
        ({"SPOTZEE_PUBLISHABLE_KEY": None}, "SPOTZEE_PUBLISHABLE_KEY is not set"),
        (
            {"SPOTZEE_SECRET_KEY": "pk_live_0123456789abcdef"},
            "SPOTZEE_SECRET_KEY must be the secret key",
        ),
        (
            {"SPOTZEE_PUBLISHABLE_KEY": "sk_live_0123456789abcdef"},
            "SPOTZEE_PUBLISHABLE_KEY must be the publishable key",
        ),
        ({"SPOTZEE_SECRET_KEY": SECRET_KEY}, "are the sandbox's demo keys"),
        ({"SPOTZEE_PUBLISHABLE_KEY": PUBLISHABLE_KEY}, "are the sandbox's demo keys"),
        ({"SECRET_KEY": None}, "FLASK_SECRET_KEY is not set"),
        ({"MINT_LIMIT": "lots"}, "MINT_LIMIT='lots' is not a limit"),
        ({"BRAND_LOGO_URL": "http://cdn.example/logo.svg"}, "BRAND_LOGO_URL='http://"),
        ({"BRAND_STYLESHEET_URL": "//cdn.example/a.css"}, "BRAND_STYLESHEET_URL='//"),
        ({"BRAND_SUPPORT_URL": "javascript:alert(1)"}, "BRAND_SUPPORT_URL='javascript:"),
        ({"BRAND_SUPPORT_URL": "/\\evil.example/help"}, "BRAND_SUPPORT_URL="),
        ({"BRAND_LOGO_URL": "https://user:pw@cdn.example/l.svg"}, "no user name or password"),
        ({"BRAND_LOGO_URL": "https://*/l.svg"}, "not a valid host"),
        ({"BRAND_LOGO_URL": "https://cdn.example:/l.svg"}, "not a valid host"),
        ({"BRAND_STYLESHEET_URL": "https://cdn.example 'unsafe-inline'/a.css"}, "no spaces"),
        ({"BRAND_STYLESHEET_URL": "https://x;script-src:443/a.css"}, "not a valid host"),
        ({"BRAND_CATALOGUE": "/nowhere/words.toml"}, "BRAND_CATALOGUE='/nowhere/words.toml'"),
    ],
)
def test_a_misconfigured_app_refuses_to_start_naming_the_variable(tmp_path, change, variable):
    with pytest.raises(ConfigurationError, match=variable):
        create_app(production(tmp_path, **change))


def test_the_sandbox_keys_are_fine_against_a_local_sandbox(tmp_path) -> None:
    config = production(
        tmp_path,
        SPOTZEE_API_BASE="http://localhost:8025/api/client",
        SPOTZEE_SECRET_KEY=SECRET_KEY,
        SPOTZEE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
    )
    assert create_app(config).config["SPOTZEE_PUBLISHABLE_KEY"] == PUBLISHABLE_KEY


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment of a new deployment: none of this machine's app settings."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("SPOTZEE_", "FLASK_"))}
    kept.pop("DEMO", None)
    return {**kept, **extra}


@pytest.mark.parametrize(
    "command",
    [
        [sys.executable, "-m", "backend"],
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "backend:create_app()"],
        [sys.executable, "-m", "flask", "--app", "backend", "links", "jane@example.com"],
    ],
    ids=["python -m backend", "gunicorn", "flask CLI"],
)
def test_the_servers_and_commands_refuse_in_one_sentence_without_a_traceback(
    tmp_path, command
) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and servers
        command,
        cwd=ROOT,
        env=clean_environment(
            APP_DATABASE=str(tmp_path / "app.sqlite3"),
            SPOTZEE_SECRET_KEY="sk_live_0123456789abcdef",
            SPOTZEE_PUBLISHABLE_KEY="pk_live_0123456789abcdef",
            SPOTZEE_API_BASE="https://apix.spotzee.com/api/client",
            PORT=str(free_port()),
        ),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "FLASK_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


# -- customers from the command line ------------------------------------------------------


def test_customers_are_added_listed_signed_out_and_removed(tmp_path, sandbox) -> None:
    app = create_app(production_on(sandbox, tmp_path))
    cli = app.test_cli_runner()
    added = cli.invoke(
        args=["customers", "add", "jane@brand.example", "--external-id", JANE, "--name", "Jane"],
        input="a long password\n",  # --password-stdin
    )
    assert added.exit_code != 0  # without --password-stdin it asks twice: one line is not enough
    added = cli.invoke(
        args=[
            "customers", "add", "jane@brand.example", "--external-id", JANE,
            "--name", "Jane", "--password-stdin",
        ],
        input="a long password\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert cli.invoke(args=["customers", "list"]).output == f"jane@brand.example\t{JANE}\tJane\n"

    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    signed = browser.post(
        "/login",
        data={
            "email": "jane@brand.example",
            "password": "a long password",
            "csrf_token": csrf_of(page),
        },
    )
    assert signed.status_code == 303
    assert browser.get("/preferences").status_code == 200
    assert cli.invoke(args=["customers", "sign-out", "jane@brand.example"]).exit_code == 0
    assert browser.get("/preferences").status_code == 302

    duplicate = cli.invoke(
        args=["customers", "add", "jane@brand.example", "--external-id", "x", "--password-stdin"],
        input="another long one\n",
    )
    assert duplicate.exit_code != 0 and "exists" in duplicate.output
    assert cli.invoke(args=["customers", "remove", "jane@brand.example"]).exit_code == 0
    assert cli.invoke(args=["customers", "list"]).output == ""
    gone = cli.invoke(args=["customers", "remove", "jane@brand.example"])
    assert gone.exit_code != 0 and "no customer" in gone.output


def test_a_short_password_is_refused(tmp_path) -> None:
    cli = create_app(production(tmp_path)).test_cli_runner()
    result = cli.invoke(
        args=["customers", "add", "a@b.example", "--external-id", "x", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code != 0 and "at least 8 characters" in result.output
    result = cli.invoke(
        args=["customers", "add", "a@b.example", "--external-id", "..", "--password-stdin"],
        input="long enough\n",
    )
    assert result.exit_code != 0 and "cannot be a Spotzee external_id" in result.output


# -- the brand's own sign-in ----------------------------------------------------------------


BRAND_CUSTOMERS = {
    "jane": Customer("brand-42", "jane@brand.example", JANE, "Jane"),
    "omar": Customer("brand-7", "omar@brand.example", OMAR, "Omar"),
}


def brand_identify(request) -> Customer | None:
    """How a brand's gateway might say who is signed in (here: a test header)."""
    return BRAND_CUSTOMERS.get(request.headers.get("X-Brand-Customer", ""))


def test_a_brand_can_bring_its_own_sign_in(tmp_path, sandbox) -> None:
    app = create_app(
        production_on(sandbox, tmp_path, SIGN_IN_URL="https://www.brand.example/account/sign-in"),
        identify=brand_identify,
    )
    client = app.test_client()
    page = client.get("/preferences", headers={"X-Brand-Customer": "jane"})
    assert page.status_code == 200 and "Hi Jane" in page.get_data(as_text=True)
    away = client.get("/preferences")
    assert away.status_code == 302
    assert away.headers["Location"].startswith("https://www.brand.example/account/sign-in?next=")
    assert client.get("/login").status_code == 404  # this repo's form is not served


def test_a_page_of_the_brands_customer_before_changes_nobody_after_the_brand_switches(
    tmp_path, sandbox
) -> None:
    """Signed out and in as someone else at the brand, in another tab: the old tab's change
    is refused as from a stale session (not made for the new customer with a new token),
    and the next page load serves the new customer."""
    app = create_app(
        production_on(sandbox, tmp_path, SIGN_IN_URL="https://www.brand.example/sign-in"),
        identify=brand_identify,
    )
    client = app.test_client()
    html = client.get("/preferences", headers={"X-Brand-Customer": "jane"}).get_data(as_text=True)
    csrf, token = csrf_of(html), re.search(r'data-token="([^"]+)"', html).group(1)
    before = {who: sandbox.states(c.external_id) for who, c in BRAND_CUSTOMERS.items()}

    def change(headers: dict, **form: str):
        data = {"csrf_token": csrf, "previous_state": "0", "subscribed": "1", **form}
        return client.post("/preferences/subscriptions/21", data=data, headers=headers)

    omar = {"X-Brand-Customer": "omar"}
    htmx = {**omar, "HX-Request": "true", "X-CSRFToken": csrf, "X-Spotzee-User-Token": token}
    refused = change(htmx)
    assert refused.status_code == 403 and "X-Contact-Token-Rejected" not in refused.headers
    assert "You signed in or out in another tab" in refused.get_data(as_text=True)
    minted = client.post("/api/contact-session", headers={**omar, "X-CSRFToken": csrf})
    assert minted.status_code == 403
    assert change(omar, contact_token=token).status_code == 403  # a plain form
    after = {who: sandbox.states(c.external_id) for who, c in BRAND_CUSTOMERS.items()}
    assert after == before
    html = client.get("/preferences", headers=omar).get_data(as_text=True)
    assert "Hi Omar" in html
    csrf, token = csrf_of(html), re.search(r'data-token="([^"]+)"', html).group(1)
    assert change({**htmx, "X-CSRFToken": csrf, "X-Spotzee-User-Token": token}).status_code == 200
    assert sandbox.states(OMAR)[21] == 1


def test_the_brands_sign_in_needs_its_address(tmp_path) -> None:
    with pytest.raises(ConfigurationError, match="SIGN_IN_URL is not set"):
        create_app(production(tmp_path), identify=brand_identify)


# -- health -------------------------------------------------------------------------------


def test_health_and_readiness(make_web, tmp_path) -> None:
    web = make_web()
    assert web.client.get("/healthz").json == {"status": "ok"}
    assert web.client.get("/readyz").json == {"status": "ok", "spotzee": "ok"}
    down = make_web(SPOTZEE_API_BASE=f"http://127.0.0.1:{free_port()}/api/client")
    not_ready = down.client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json == {"status": "unavailable", "spotzee": "unavailable"}
    no_redis = make_web(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert no_redis.client.get("/readyz").json["redis"] == "unavailable"


# -- compression ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_text_answers_are_compressed_when_the_client_accepts_it(web, encoding) -> None:
    web.sign_in()
    page = web.client.get("/preferences", headers={"Accept-Encoding": encoding})
    assert page.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in page.headers["Vary"]
    css = web.client.get("/static/css/app.css", headers={"Accept-Encoding": encoding})
    assert css.headers["Content-Encoding"] == encoding
    if encoding == "gzip":
        assert b"--brand-primary" in gzip.decompress(css.data)


def test_a_secret_beside_echoed_input_is_never_compressed(web) -> None:
    """BREACH: the sign-in page echoes `next` and the email beside its CSRF token; the token
    endpoint's answer is a token. Neither is compressed."""
    sign_in_page = web.client.get("/login?next=/preferences", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in sign_in_page.headers
    web.sign_in()
    minted = web.mint(**{"Accept-Encoding": "gzip, br"})
    assert minted.status_code == 200 and "Content-Encoding" not in minted.headers


def test_no_compression_for_a_client_that_does_not_ask(web) -> None:
    assert "Content-Encoding" not in web.client.get("/").headers


# -- gunicorn ------------------------------------------------------------------------------


def test_gunicorn_serves_the_app_as_configured_and_logs_no_forged_line(tmp_path, sandbox):
    port = free_port()
    server = Service(
        "gunicorn",
        "gunicorn",
        f"http://127.0.0.1:{port}",
        {
            "PORT": str(port),
            "WEB_CONCURRENCY": "1",
            "DEMO": "1",
            "APP_DATABASE": str(tmp_path / "app.sqlite3"),
            "FLASK_SECRET_KEY": "gunicorn-test",
            "SPOTZEE_API_BASE": sandbox.api,
        },
        arguments=["gunicorn", "-c", "gunicorn.conf.py", "backend:create_app()"],
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server.start(output=output)
        try:
            server.wait_ready()
            assert (
                requests.get(f"{server.url}/nowhere%0aFORGED?secret=1", timeout=10).status_code
                == 404
            )
            https = requests.get(
                f"{server.url}/", headers={"X-Forwarded-Proto": "https"}, timeout=10
            )
            assert "Strict-Transport-Security" not in https.headers  # no proxy is trusted
        finally:
            server.stop()
    lines = log.read_text().splitlines()
    assert any('"GET /nowhere\\nFORGED HTTP/1.1" 404' in line for line in lines), lines
    assert not any(line.startswith("FORGED") for line in lines)
    assert "secret=1" not in log.read_text()  # no query strings


def test_the_procfile_runs_what_the_readme_says() -> None:
    command = "gunicorn -c gunicorn.conf.py 'backend:create_app()'"
    assert (ROOT / "Procfile").read_text().strip() == f"web: {command}"
    assert command in (ROOT / "README.md").read_text()


def test_a_brand_catalogue_that_is_not_toml_is_refused_naming_it(tmp_path) -> None:
    words = tmp_path / "words.toml"
    words.write_text("[subscriptions.7.en\ndescription = 'unclosed'\n")
    with pytest.raises(ConfigurationError, match=r"BRAND_CATALOGUE=.* is not valid TOML"):
        create_app(production(tmp_path, BRAND_CATALOGUE=str(words)))


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ('subscriptions = "x"', "subscriptions must be a table"),
        ("[subscriptions.seven.en]\nname = 'x'", "a subscription type id is a number"),
        ("[subscriptions.7.en]\ndescripton = 'x'", "subscriptions.7.en.descripton is not one of"),
        ("[subscriptions.7.en]\nname = 7", "subscriptions.7.en.name must be text"),
        ("[always]\nen = ['x']", "always.en must be text"),
        ("[footer]\nen = 'x'", "footer is not always, meta or subscriptions"),
    ],
)
def test_a_brand_catalogue_of_the_wrong_shape_is_refused_at_start(tmp_path, words, says):
    catalogue = tmp_path / "words.toml"
    catalogue.write_text(words)
    with pytest.raises(ConfigurationError, match=says):
        create_app(production(tmp_path, BRAND_CATALOGUE=str(catalogue)))
