"""Configuration read from the environment (and from a `.env` file when there is one), and
the checks that stop a misconfigured app from starting.

`.env.example` documents every variable. The Spotzee secret key is read on its own
(`spotzee_secret_key`) and handed straight to the `SecretClient`: it is never put in the
Flask config, where every template could render it.

`DEMO=1` (set by `make demo` and the test stacks) seeds the demo customers, shows the demo
hint and lets the sandbox's demo keys and a generated session key stand in. Without it the
app refuses to start unless it has real keys and `FLASK_SECRET_KEY`.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from dotenv import load_dotenv
from limits import parse

from frontend import Catalogue

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API_BASE = "http://127.0.0.1:8025/api/client"
DEFAULT_CATALOGUE = ROOT / "brand" / "catalogue.toml"
# The sandbox's demo keys (sandbox/fixtures/demo.json uses the same defaults).
DEMO_SECRET_KEY = "sk_sandbox_demo_secret_key_0001"  # noqa: S105 - the sandbox demo key
DEMO_PUBLISHABLE_KEY = "pk_sandbox_demo_publishable_key_0001"


class ConfigurationError(click.ClickException):
    """The app cannot start as configured; the message is one sentence naming the variable.
    A ClickException, so that `flask --app backend …` says that sentence, not a traceback."""


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    try:
        return float(value) if value else default
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a number.") from None


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a whole number.") from None


@functools.cache
def read_env_file() -> None:
    """Fill the environment from `.env` once a process (variables already set win)."""
    load_dotenv(ROOT / ".env", override=False)


def is_demo() -> bool:
    read_env_file()
    return os.environ.get("DEMO") == "1"


def kept_key(variable: str, instance: Path, demo: bool) -> str | None:
    """A secret from the environment; in demo mode, a random one kept in instance/ (mode
    0600, created atomically) so that every worker and restart shares it."""
    if os.environ.get(variable):
        return os.environ[variable]
    if not demo:
        return None
    path = instance / variable.lower()
    instance.mkdir(parents=True, exist_ok=True)
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    return path.read_text().strip()


def flask_secret_key(instance: Path) -> str | None:
    """FLASK_SECRET_KEY, which signs the session cookie."""
    return kept_key("FLASK_SECRET_KEY", instance, is_demo())


def links_key(instance: Path, demo: bool) -> str | None:
    """LINK_SECRET_KEY, which signs the links in emails (never the session key)."""
    return kept_key("LINK_SECRET_KEY", instance, demo)


def spotzee_secret_key() -> str | None:
    """The project's secret key (`sk_…`), for the SecretClient and nothing else."""
    read_env_file()
    return os.environ.get("SPOTZEE_SECRET_KEY") or (DEMO_SECRET_KEY if is_demo() else None)


def from_environment(instance: Path) -> dict[str, Any]:
    read_env_file()
    demo = is_demo()
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "DEMO": demo,
        "SECRET_KEY": flask_secret_key(instance),
        "SPOTZEE_API_BASE": os.environ.get("SPOTZEE_API_BASE", DEFAULT_API_BASE).rstrip("/"),
        "SPOTZEE_PUBLISHABLE_KEY": os.environ.get("SPOTZEE_PUBLISHABLE_KEY")
        or (DEMO_PUBLISHABLE_KEY if demo else None),
        "SPOTZEE_CONNECT_TIMEOUT": _float("SPOTZEE_CONNECT_TIMEOUT", 3.05),
        "SPOTZEE_READ_TIMEOUT": _float("SPOTZEE_READ_TIMEOUT", 10.0),
        # How long a change whose answer was lost is asked after before giving up.
        "SPOTZEE_RECONCILE_SECONDS": _float("SPOTZEE_RECONCILE_SECONDS", 10.0),
        # The preference page answers within this, Spotzee slow or not.
        "PAGE_DEADLINE_SECONDS": _float("PAGE_DEADLINE_SECONDS", 5.0),
        "SUBSCRIPTION_TYPES_CACHE_SECONDS": _int("SUBSCRIPTION_TYPES_CACHE_SECONDS", 60),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD") or "demo",
        "DATABASE": os.environ.get("APP_DATABASE") or str(instance / "app.sqlite3"),
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or redis_url
        or "memory://",
        # How many tokens a customer may have minted (page loads included), and how many
        # sign-in attempts an email or an address may make. Raise them only for load tests
        # and end-to-end suites, which sign in and load pages faster than customers do.
        "MINT_LIMIT": os.environ.get("MINT_LIMIT") or "30 per minute",
        "SIGN_IN_LIMIT": os.environ.get("SIGN_IN_LIMIT") or "5 per minute",
        "SESSION_IDLE_MINUTES": _float("SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _float("SESSION_MAX_HOURS", 12),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are believed.
        "TRUSTED_PROXY_HOPS": _int("TRUSTED_PROXY_HOPS", 0),
        # Signed links in emails (backend/links.py): a key of their own, the one before it
        # (still accepted while rotating), and how many days a link lives.
        "LINK_SECRET_KEY": links_key(instance, demo),
        "LINK_SECRET_KEY_PREVIOUS": os.environ.get("LINK_SECRET_KEY_PREVIOUS") or None,
        "LINK_MAX_AGE_DAYS": _float("LINK_MAX_AGE_DAYS", 30),
        # The brand's look and words, by configuration (no template edits): its name, a logo
        # (any shape, never cropped), a stylesheet loaded after app.css, a help page, and
        # the catalogue of words for its subscription types (frontend/brand.py).
        "BRAND_NAME": os.environ.get("BRAND_NAME") or "Acme Outfitters",
        "BRAND_LOGO_URL": os.environ.get("BRAND_LOGO_URL") or None,
        "BRAND_STYLESHEET_URL": os.environ.get("BRAND_STYLESHEET_URL") or None,
        "BRAND_SUPPORT_URL": os.environ.get("BRAND_SUPPORT_URL") or None,
        "BRAND_CATALOGUE": os.environ.get("BRAND_CATALOGUE") or str(DEFAULT_CATALOGUE),
        # With a brand's own sign-in (create_app(identify=...)): its pages.
        "SIGN_IN_URL": os.environ.get("SIGN_IN_URL") or None,
        "SIGN_OUT_URL": os.environ.get("SIGN_OUT_URL") or None,
        # Secure cookies always; otherwise they are secure on https requests anyway.
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE") == "1",
    }


def check(config: dict[str, Any], secret_key: str | None) -> None:
    """Refuse to start, in one sentence naming the variable, rather than run unsafely."""
    if not secret_key:
        raise ConfigurationError(
            "SPOTZEE_SECRET_KEY is not set: the app needs the project's secret key (sk_…)."
        )
    publishable = config.get("SPOTZEE_PUBLISHABLE_KEY")
    if not publishable:
        raise ConfigurationError(
            "SPOTZEE_PUBLISHABLE_KEY is not set: the app needs the project's publishable "
            "key (pk_…)."
        )
    if not secret_key.startswith("sk_"):
        raise ConfigurationError(
            "SPOTZEE_SECRET_KEY must be the secret key, which starts with sk_"
            + (" (this one is the publishable key)." if secret_key.startswith("pk_") else ".")
        )
    if not publishable.startswith("pk_"):
        raise ConfigurationError(
            "SPOTZEE_PUBLISHABLE_KEY must be the publishable key, which starts with pk_"
            + (
                " (this one is the secret key, which must never reach a browser)."
                if publishable.startswith("sk_")
                else "."
            )
        )
    demo_keys = {secret_key, publishable} & {DEMO_SECRET_KEY, DEMO_PUBLISHABLE_KEY}
    if demo_keys and not is_loopback(config["SPOTZEE_API_BASE"]):
        raise ConfigurationError(
            "SPOTZEE_SECRET_KEY and SPOTZEE_PUBLISHABLE_KEY are the sandbox's demo keys, but "
            "SPOTZEE_API_BASE is not a local sandbox: set your project's own keys."
        )
    if not config.get("SECRET_KEY"):
        raise ConfigurationError(
            "FLASK_SECRET_KEY is not set: outside the demo (DEMO=1) the app needs a fixed, "
            "random key to sign its session cookies."
        )
    if config.get("LINK_SECRET_KEY") and config["LINK_SECRET_KEY"] == config.get("SECRET_KEY"):
        raise ConfigurationError(
            "LINK_SECRET_KEY must not be FLASK_SECRET_KEY: links in emails need a key of "
            "their own, so that rotating one revokes only what it signed."
        )
    for name in ("MINT_LIMIT", "SIGN_IN_LIMIT"):
        try:
            parse(config[name])
        except ValueError:
            raise ConfigurationError(
                f"{name}={config[name]!r} is not a limit like '30 per minute'."
            ) from None
    if config["TRUSTED_PROXY_HOPS"] < 0:
        raise ConfigurationError("TRUSTED_PROXY_HOPS must be 0 or more.")
    for name in ("BRAND_LOGO_URL", "BRAND_STYLESHEET_URL", "BRAND_SUPPORT_URL"):
        url = config.get(name)
        try:
            if url:
                brand_origin(url)
        except ValueError as error:
            raise ConfigurationError(
                f"{name}={url!r} must be an https:// address or a path on this site ({error})."
            ) from None
    words = config.get("BRAND_CATALOGUE")
    if words:
        try:
            Catalogue.load(words)
        except OSError as error:
            raise ConfigurationError(
                f"BRAND_CATALOGUE={words!r} cannot be read ({error.strerror})."
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigurationError(
                f"BRAND_CATALOGUE={words!r} is not valid TOML ({error})."
            ) from None
        except ValueError as error:
            raise ConfigurationError(
                f"BRAND_CATALOGUE={words!r} is not a catalogue of words: {error}."
            ) from None


HOST_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*")


def brand_origin(url: str) -> str | None:
    """The origin a brand's URL is served from, as the Content-Security-Policy names it
    (None for a path on this site). Anything but a plain https address or a same-site path
    is a ValueError: the origin goes into a header, and must never widen or break it."""
    if any(c.isspace() or c == "\\" or not c.isprintable() for c in url):
        raise ValueError("no spaces, backslashes or control characters")
    if url.startswith("/"):
        if url.startswith("//"):
            raise ValueError("// starts another site's address")
        return None
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("https only")
    if "@" in parts.netloc:
        raise ValueError("no user name or password")
    try:
        port = parts.port
        host = (parts.hostname or "").encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise ValueError("not a valid host and port") from None
    if parts.netloc.endswith(":") or not HOST_NAME.fullmatch(host):
        raise ValueError("not a valid host and port")
    return f"https://{host}" + (f":{port}" if port not in (None, 443) else "")


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_environment() -> None:
    """The checks create_app makes, on the environment alone (for gunicorn's master)."""
    check(from_environment(ROOT / "instance"), spotzee_secret_key())
