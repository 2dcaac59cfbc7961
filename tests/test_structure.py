"""The shape the code keeps: imports run one way, and the secret key lives only inside the
SecretClient, out of reach of every template."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import render_template_string, template_rendered

from tests.support import ROOT, SECRET_KEY

SECRET_KEY_LITERAL = re.compile(r"\bsk_[A-Za-z0-9]")


def imports_of(package: str) -> dict[Path, set[str]]:
    """Every module each file of a package imports (absolute imports, by full name)."""
    found: dict[Path, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[path] = names
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_frontend_never_imports_the_backend() -> None:
    for path, modules in imports_of("frontend").items():
        assert not any(within(m, "backend") for m in modules), path


def test_the_backend_imports_nothing_of_the_frontend_but_its_init() -> None:
    for path, modules in imports_of("backend").items():
        assert not any(within(m, "frontend") and m != "frontend" for m in modules), path


def test_the_spotzee_client_imports_no_flask_and_none_of_the_app() -> None:
    for path, modules in imports_of("spotzee").items():
        for package in ("flask", "werkzeug", "backend", "frontend", "sandbox"):
            assert not any(within(m, package) for m in modules), (path, package)


def test_no_code_but_the_spotzee_client_speaks_http() -> None:
    for package in ("backend", "frontend"):
        for path, modules in imports_of(package).items():
            for library in ("requests", "urllib3", "httpx", "http.client"):
                assert not any(within(m, library) for m in modules), (path, library)


def test_the_frontend_never_names_the_secret_key() -> None:
    for path in (ROOT / "frontend").rglob("*.py"):
        text = path.read_text()
        assert "SPOTZEE_SECRET_KEY" not in text and not SECRET_KEY_LITERAL.search(text), path


def test_nothing_served_to_browsers_contains_a_secret_key() -> None:
    for folder in ("templates", "static"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in (".html", ".js", ".css", ".svg"):
                text = path.read_text()
                assert "SPOTZEE_SECRET_KEY" not in text, path
                assert not SECRET_KEY_LITERAL.search(text), path


def test_templates_name_routes_not_paths() -> None:
    """Links and forms come from url_for, so a brand can mount the app anywhere."""
    for path in (ROOT / "templates").glob("*.html"):
        text = path.read_text()
        assert not re.search(r'(href|action|hx-post|hx-get)="/', text), path


def test_the_secret_key_is_not_in_the_flask_config(web) -> None:
    assert "SPOTZEE_SECRET_KEY" not in web.app.config
    assert SECRET_KEY not in repr(dict(web.app.config))
    with web.app.test_request_context("/"):
        assert SECRET_KEY not in render_template_string("{{ config }}")


def test_no_template_context_holds_the_secret_key(web) -> None:
    """Every context every template received, through a customer's whole journey, errors
    included, holds nothing that shows the secret key."""
    contexts: list[tuple[str, dict]] = []

    def record(_app, template, context, **_extra) -> None:
        contexts.append((template.name, context))

    with template_rendered.connected_to(record, web.app):
        web.client.get("/")
        web.client.get("/login")
        web.sign_in()
        web.client.get("/preferences")
        csrf = web.csrf("/preferences")
        web.client.post(
            "/preferences/unsubscribe/email",
            data={"csrf_token": csrf, "subscription_id": ["7", "8"]},
        )
        web.sandbox.fault(path="subscriptions/me", status=503)
        web.client.post(
            "/preferences/subscriptions/7",
            data={"csrf_token": csrf, "contact_token": web.token()},
            headers={"HX-Request": "true"},
        )
        web.client.get("/nowhere")
    names = {name for name, _ in contexts}
    assert {"index.html", "login.html", "preferences.html", "error.html"} <= names
    for name, context in contexts:
        for key, value in context.items():
            assert SECRET_KEY not in repr(value), (name, key)
            assert SECRET_KEY not in str(value), (name, key)


@pytest.mark.parametrize("package", ["backend", "frontend", "spotzee"])
def test_every_module_says_its_job(package: str) -> None:
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path} has no module docstring"
