"""Configuration read from the environment (and from a `.env` file when there is one).

`.env.example` documents every variable. The Spotzee secret key is read on its own
(`spotzee_secret_key`) and handed straight to the `SecretClient`: it is never put in the
Flask config, where every template could render it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API_BASE = "http://127.0.0.1:8025/api/client"
# The sandbox's demo keys (sandbox/fixtures/demo.json uses the same defaults).
DEFAULT_SECRET_KEY = "sk_sandbox_demo_secret_key_0001"  # noqa: S105 - the sandbox demo key
DEFAULT_PUBLISHABLE_KEY = "pk_sandbox_demo_publishable_key_0001"


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def flask_secret_key(instance: Path) -> str:
    """FLASK_SECRET_KEY, or a random key kept in instance/ so every worker shares it."""
    if os.environ.get("FLASK_SECRET_KEY"):
        return os.environ["FLASK_SECRET_KEY"]
    path = instance / "flask_secret_key"
    instance.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return path.read_text().strip()


def spotzee_secret_key() -> str:
    """The project's secret key (`sk_…`), for the SecretClient and nothing else."""
    load_dotenv(ROOT / ".env", override=False)
    return os.environ.get("SPOTZEE_SECRET_KEY") or DEFAULT_SECRET_KEY


def from_environment(instance: Path) -> dict[str, Any]:
    load_dotenv(ROOT / ".env", override=False)
    return {
        "SECRET_KEY": flask_secret_key(instance),
        "SPOTZEE_API_BASE": os.environ.get("SPOTZEE_API_BASE", DEFAULT_API_BASE).rstrip("/"),
        "SPOTZEE_PUBLISHABLE_KEY": os.environ.get("SPOTZEE_PUBLISHABLE_KEY")
        or DEFAULT_PUBLISHABLE_KEY,
        "SPOTZEE_CONNECT_TIMEOUT": _float("SPOTZEE_CONNECT_TIMEOUT", 3.05),
        "SPOTZEE_READ_TIMEOUT": _float("SPOTZEE_READ_TIMEOUT", 10.0),
        # How long a change whose answer was lost is asked after before giving up.
        "SPOTZEE_RECONCILE_SECONDS": _float("SPOTZEE_RECONCILE_SECONDS", 10.0),
        # The preference page answers within this, Spotzee slow or not.
        "PAGE_DEADLINE_SECONDS": _float("PAGE_DEADLINE_SECONDS", 5.0),
        "SUBSCRIPTION_TYPES_CACHE_SECONDS": _int("SUBSCRIPTION_TYPES_CACHE_SECONDS", 60),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD") or "demo",
        "DATABASE": os.environ.get("APP_DATABASE") or str(instance / "app.sqlite3"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # Secure cookies and HSTS need https; behind a TLS-terminating proxy set this to 1.
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE") == "1",
    }
