"""Several app processes sharing one real Redis (REDIS_URL): the sign-in limits, session
sign-outs and the subscription-types cache hold across processes and restarts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.support import PUBLISHABLE_KEY, SECRET_KEY, csrf_of
from tooling.devserver import free_port
from tooling.stack import Service, running


def app_process(name: str, sandbox, redis_url: str, database: str) -> Service:
    port = free_port()
    return Service(
        name,
        "backend",
        f"http://127.0.0.1:{port}",
        {
            "PORT": str(port),
            "DEMO": "1",
            "REDIS_URL": redis_url,
            "APP_DATABASE": database,
            "FLASK_SECRET_KEY": "shared-by-every-process",
            "SPOTZEE_API_BASE": sandbox.api,
            "SPOTZEE_SECRET_KEY": SECRET_KEY,
            "SPOTZEE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        },
    )


@pytest.fixture
def two_apps(sandbox, redis_url, tmp_path) -> Iterator[tuple[Service, Service]]:
    database = str(tmp_path / "app.sqlite3")
    apps = (
        app_process("first app", sandbox, redis_url, database),
        app_process("second app", sandbox, redis_url, database),
    )
    with running(*apps):
        yield apps


def sign_in(browser: requests.Session, app: Service, password: str = "demo") -> int:
    token = csrf_of(browser.get(f"{app.url}/login", timeout=10).text)
    return browser.post(
        f"{app.url}/login",
        data={"email": "jane@example.com", "password": password, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    ).status_code


def restart(app: Service) -> None:
    app.stop()
    app.start(quiet=True)
    app.wait_ready()


def test_failed_sign_ins_are_counted_across_processes_and_restarts(two_apps) -> None:
    first, second = two_apps
    with requests.Session() as browser:
        statuses = [sign_in(browser, app, "wrong") for app in (first, second) * 2 + (first,)]
        assert statuses == [401] * 5
        assert sign_in(browser, first) == 429
        assert sign_in(browser, second) == 429
        restart(first)
        assert sign_in(browser, first) == 429


def test_signing_out_on_one_process_ends_the_session_on_every_other(two_apps) -> None:
    first, second = two_apps
    with requests.Session() as browser:
        assert sign_in(browser, first) == 303
        assert browser.get(f"{second.url}/preferences", timeout=10).status_code == 200
        copied = browser.cookies.get("session")
        page = browser.get(f"{first.url}/preferences", timeout=10).text
        browser.post(f"{first.url}/logout", data={"csrf_token": csrf_of(page)}, timeout=10)
    with requests.Session() as thief:
        thief.cookies.set("session", copied)
        gone = thief.get(f"{second.url}/preferences", allow_redirects=False, timeout=10)
        assert gone.status_code == 302
        restart(second)
        still_gone = thief.get(f"{second.url}/preferences", allow_redirects=False, timeout=10)
        assert still_gone.status_code == 302


def test_the_subscription_types_are_read_once_for_every_process(two_apps, sandbox) -> None:
    first, second = two_apps
    with requests.Session() as browser:
        assert sign_in(browser, first) == 303
        for app in (first, second, first, second):
            assert browser.get(f"{app.url}/preferences", timeout=10).status_code == 200
    listed = [e for e in sandbox.log() if e["path"] == "/api/client/subscriptions"]
    assert len(listed) == 1


def test_readiness_names_what_is_missing(two_apps, redis_server) -> None:
    first, _second = two_apps
    ready = requests.get(f"{first.url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "spotzee": "ok", "redis": "ok"}
