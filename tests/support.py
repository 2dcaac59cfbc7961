"""What the tests share besides fixtures: the demo identities and keys, and small readers of
what the app answers. Imported as `tests.support`; fixtures live in conftest.py."""

from __future__ import annotations

import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sandbox.fixture import DEFAULT_PUBLISHABLE_KEY, DEFAULT_SECRET_KEY
from sandbox.testing import SandboxClient as Sandbox
from tooling.devserver import in_thread

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = DEFAULT_SECRET_KEY
PUBLISHABLE_KEY = DEFAULT_PUBLISHABLE_KEY
JANE = "cust-9f4b21"
OMAR = "cust-1a3b5c"
LINK_KEY = "test-only-link-key"  # the `linked` web app's LINK_SECRET_KEY

__all__ = [
    "JANE",
    "LINK_KEY",
    "OMAR",
    "PUBLISHABLE_KEY",
    "ROOT",
    "SECRET_KEY",
    "Sandbox",
    "csrf_of",
    "links_for",
    "path_of",
    "served",
    "switch_is_on",
]


def switch_is_on(html: str, subscription_id: int) -> bool:
    """Whether the page shows this subscription type's switch as on."""
    found = re.search(rf'<input[^>]*id="switch-{subscription_id}"[^>]*>', html)
    assert found, f"no switch {subscription_id}"
    return " checked" in found.group(0)


def csrf_of(html: str) -> str:
    """The CSRF token a page carries (its meta tag or a form's field)."""
    found = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def links_for(external_id: str = JANE, **kwargs: Any) -> Any:
    """The email links the `linked` web app accepts, for a contact (EmailLinks)."""
    from backend.links import email_links

    return email_links(external_id, base_url="http://localhost", secret_key=LINK_KEY, **kwargs)


def path_of(url: str) -> str:
    return url.removeprefix("http://localhost")


def served(app: Any) -> AbstractContextManager[str]:
    """Serve a Flask app over real HTTP on a free loopback port, threaded; yield its URL."""
    return in_thread(app)
