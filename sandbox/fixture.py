"""Sandbox fixtures: the JSON that seeds projects, keys, subscription types and contacts.

The same format is loaded at start-up (the demo fixture) and by POST /_sandbox/seed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from string import Template
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .errors import field_error
from .models import Identifier

DEMO_FIXTURE = Path(__file__).parent / "fixtures" / "demo.json"
IDENTIFIER: TypeAdapter[str] = TypeAdapter(Identifier)
CHANNELS = ("email", "text", "push", "webhook", "in_app")
ROLES = ("support", "smtpproxy", "editor", "publisher", "admin")

# The demo keys, the same defaults the web app uses, so app and sandbox always agree.
DEFAULT_SECRET_KEY = "sk_sandbox_demo_secret_key_0001"  # noqa: S105 - the sandbox demo key
DEFAULT_PUBLISHABLE_KEY = "pk_sandbox_demo_publishable_key_0001"


def demo_fixture() -> dict[str, Any]:
    """The committed demo fixture, with its key placeholders filled from the environment."""
    text = Template(DEMO_FIXTURE.read_text()).substitute(
        SPOTZEE_SECRET_KEY=os.environ.get("SPOTZEE_SECRET_KEY") or DEFAULT_SECRET_KEY,
        SPOTZEE_PUBLISHABLE_KEY=os.environ.get("SPOTZEE_PUBLISHABLE_KEY")
        or DEFAULT_PUBLISHABLE_KEY,
    )
    return json.loads(text)


def is_identifier(value: Any) -> bool:
    """Whether `value` is an external_id the API would accept (see models.Identifier)."""
    try:
        IDENTIFIER.validate_python(value)
    except ValidationError:
        return False
    return True


def problems(fixture: Any) -> list[dict[str, str]]:
    """Everything wrong with a fixture, as validation_failed errors[] entries (empty if fine)."""
    if not isinstance(fixture, dict) or not isinstance(fixture.get("projects"), list):
        return [field_error("projects", "parameter_missing", "A `projects` array is required.")]
    errors: list[dict[str, str]] = []
    seen: dict[str, set[Any]] = {"project": set(), "key": set(), "sub": set(), "contact": set()}

    def check(ok: bool, where: str, message: str) -> bool:
        if not ok:
            errors.append(field_error(where, "parameter_invalid_format", message))
        return ok

    def unique(kind: str, value: Any, where: str) -> None:
        check(value not in seen[kind], where, "Duplicate value.")
        seen[kind].add(value)

    def is_id(value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63

    for p, project in enumerate(fixture["projects"]):
        at = f"projects[{p}]"
        if not check(isinstance(project, dict), at, "Must be an object."):
            continue
        if check(is_id(project.get("id")), f"{at}.id", "A positive integer id is required."):
            unique("project", project["id"], f"{at}.id")
        check(isinstance(project.get("name"), str), f"{at}.name", "A name is required.")
        for k, key in enumerate(project.get("keys", [])):
            where = f"{at}.keys[{k}]"
            if not check(isinstance(key, dict), where, "Must be an object."):
                continue
            scope = key.get("scope")
            check(scope in ("secret", "public"), f"{where}.scope", "Must be secret or public.")
            value = key.get("value")
            prefix = {"secret": "sk_", "public": "pk_"}.get(scope, "")
            if check(
                isinstance(value, str) and value.startswith(prefix) and len(value) > 10,
                f"{where}.value",
                f"Must be a key starting with {prefix or 'sk_ or pk_'}.",
            ):
                unique("key", value, f"{where}.value")
            check(
                key.get("role", "support") in ROLES,
                f"{where}.role",
                f"Must be one of {', '.join(ROLES)}.",
            )
        subscription_ids = set()
        for s, sub in enumerate(project.get("subscriptions", [])):
            where = f"{at}.subscriptions[{s}]"
            if not check(isinstance(sub, dict), where, "Must be an object."):
                continue
            if check(is_id(sub.get("id")), f"{where}.id", "A positive integer id is required."):
                unique("sub", sub["id"], f"{where}.id")
                subscription_ids.add(sub["id"])
            check(
                isinstance(sub.get("name"), str) and bool(sub.get("name")),
                f"{where}.name",
                "A name is required.",
            )
            check(
                sub.get("channel") in CHANNELS,
                f"{where}.channel",
                f"Must be one of {', '.join(CHANNELS)}.",
            )
            check(
                isinstance(sub.get("is_public", False), bool),
                f"{where}.is_public",
                "Must be true or false.",
            )
        for c, contact in enumerate(project.get("contacts", [])):
            where = f"{at}.contacts[{c}]"
            if not check(isinstance(contact, dict), where, "Must be an object."):
                continue
            if check(is_id(contact.get("id")), f"{where}.id", "A positive integer id is required."):
                unique("contact", contact["id"], f"{where}.id")
            check(
                is_identifier(contact.get("external_id")),
                f"{where}.external_id",
                "An external_id of 1 to 255 characters, usable as a URL path segment, is required.",
            )
            check(isinstance(contact.get("data", {}), dict), f"{where}.data", "Must be an object.")
            states = contact.get("states", {})
            if check(isinstance(states, dict), f"{where}.states", "Must be an object."):
                for sub_id, state in states.items():
                    check(
                        sub_id.isascii() and sub_id.isdigit() and int(sub_id) in subscription_ids,
                        f"{where}.states.{sub_id}",
                        "Not a subscription type of this project.",
                    )
                    check(
                        state in (0, 1, 2) and not isinstance(state, bool),
                        f"{where}.states.{sub_id}",
                        "Must be 0, 1 or 2.",
                    )
    return errors
