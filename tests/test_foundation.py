"""The ground every part stands on: entry points, set-up script, security headers, caching."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from backend import create_app
from tests.support import PUBLISHABLE_KEY, SECRET_KEY
from tooling.devserver import free_port

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "DEMO": True,
            "DATABASE": str(tmp_path / "app.sqlite3"),
            "SECRET_KEY": "test-only",
            "SPOTZEE_SECRET_KEY": SECRET_KEY,
            "SPOTZEE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        }
    )


@pytest.fixture
def client(app):
    return app.test_client()


def test_healthz_answers_ok(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_every_page_carries_the_security_headers(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ):
        assert directive in policy
    assert "unsafe" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_over_https(client) -> None:
    response = client.get("/", base_url="https://prefs.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_fingerprinted_static_files_are_cached_for_a_year_and_others_revalidated(client) -> None:
    page = client.get("/").get_data(as_text=True)
    start = page.index("/static/css/app.css?v=")
    url = page[start : page.index('"', start)]
    cached = client.get(url)
    assert cached.status_code == 200
    assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = client.get("/static/css/app.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/app.css").headers["Cache-Control"] == "no-cache"


def run_module(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", module],
        cwd=ROOT,
        env={**os.environ, "DEMO": "1", **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "variable"),
    [
        ("sandbox", "SANDBOX_PORT"),
        ("backend", "PORT"),
        ("tooling.demo", "SANDBOX_PORT"),
        ("tooling.demo", "PORT"),
    ],
)
def test_a_busy_port_is_named_with_the_variable_that_changes_it(module, variable, tmp_path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_module(
            module,
            {
                "SANDBOX_PORT": str(free_port()),
                "PORT": str(free_port()),
                variable: str(port),
                "SANDBOX_DATABASE": str(tmp_path / "s.sqlite3"),
                "APP_DATABASE": str(tmp_path / "a.sqlite3"),
            },
        )
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and variable in result.stderr
    # One sentence, nothing started: no banner, no "stopped unexpectedly".
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Preference centre:" not in result.stdout
    assert "Traceback" not in result.stderr


def test_a_bad_port_value_is_refused_in_one_sentence(tmp_path) -> None:
    result = run_module("sandbox", {"SANDBOX_PORT": "eighty"})
    assert result.returncode == 1
    assert "SANDBOX_PORT='eighty' is not a port number" in result.stderr
    assert "Traceback" not in result.stderr


def fetch(tmp_path: Path, lock_line: str, path: str) -> subprocess.CompletedProcess[str]:
    lock = tmp_path / "vendor.sha256"
    lock.write_text(f"# test lock\n{lock_line}\n")
    return subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "tooling.fetch_vendor",
            *("--lock", str(lock), "--dest", str(tmp_path / "vendor")),
        ],
        cwd=ROOT,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )


def test_fetching_htmx_without_npm_says_so_in_one_sentence(tmp_path) -> None:
    result = fetch(tmp_path, "htmx.org@2.0.11 package/dist/htmx.min.js " + "0" * 64, "/nonexistent")
    assert result.returncode == 3
    assert result.stdout.strip() == (
        "htmx could not be fetched: npm is not installed (needed for htmx.org@2.0.11)."
    )


def test_a_file_that_does_not_match_its_checksum_is_refused(tmp_path) -> None:
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "htmx.min.js").write_text("tampered")
    # The pinned file is absent from the lock's point of view, so it would be fetched; with
    # the real package and a wrong digest the script must refuse to install it.
    result = fetch(
        tmp_path, "htmx.org@2.0.11 package/dist/htmx.min.js " + "0" * 64, os.environ["PATH"]
    )
    assert result.returncode == 2
    assert "does not match the sha256" in result.stdout
    assert (tmp_path / "vendor" / "htmx.min.js").read_text() == "tampered"
    assert "Traceback" not in result.stdout + result.stderr


def test_every_response_says_how_long_the_server_spent(client) -> None:
    timing = client.get("/healthz").headers["Server-Timing"]
    assert timing.startswith("app;dur=")
    assert float(timing.split("dur=")[1]) >= 0


def fresh_interpreter(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` in a new Python, as a server such as gunicorn would load the app."""
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DEMO": "1", "APP_DATABASE": str(tmp_path / "app.sqlite3")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_the_apps_log_lines_reach_stderr_under_any_server(tmp_path) -> None:
    """gunicorn configures only its own loggers; the app's lines (the Spotzee client's one
    line per call, with its request id) must still be written somewhere."""
    script = (
        "import logging; from backend import create_app; create_app(); "
        "logging.getLogger('frontend.errors').info('frontend line'); "
        "logging.getLogger('spotzee').info('client line')"
    )
    result = fresh_interpreter(script, tmp_path)
    assert "INFO frontend.errors frontend line" in result.stderr
    assert "INFO spotzee client line" in result.stderr


def test_a_brands_logging_configuration_is_left_as_it_is(tmp_path) -> None:
    script = (
        "import logging, sys; "
        "logging.basicConfig(stream=sys.stdout, format='%(name)s %(message)s'); "
        "logging.getLogger('frontend').setLevel(logging.WARNING); "
        "from backend import create_app; create_app(); "
        "logging.getLogger('frontend.errors').info('quiet line'); "
        "logging.getLogger('spotzee').info('client line')"
    )
    result = fresh_interpreter(script, tmp_path)
    assert result.stdout == "spotzee client line\n"
    assert "line" not in result.stderr
