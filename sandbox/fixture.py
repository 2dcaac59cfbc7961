"""Sandbox fixtures: the JSON that seeds projects, keys, subscription types and contacts.

The same format is loaded at start-up (the demo fixture) and by POST /_sandbox/seed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from string import Template
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from .auth import KEY_FORMAT, ROLES
from .errors import field_error
from .models import Body, Channel, Identifier, State
from .ratelimit import TIERS
from .validation import error_entry

DEMO_FIXTURE = Path(__file__).parent / "fixtures" / "demo.json"

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


Id = Annotated[int, Field(gt=0, lt=2**63)]
Stamp = str | None  # stored as given; ISO 8601 by convention


class FixtureRateLimit(Body):
    read: Annotated[float, Field(gt=0)] | None = None
    write: Annotated[float, Field(gt=0)] | None = None
    tier: Literal[tuple(TIERS)] | None = None  # type: ignore[valid-type]


class FixtureKey(Body):
    value: Annotated[str, Field(pattern=KEY_FORMAT.pattern)]
    scope: Literal["secret", "public"]
    role: Literal[ROLES] = "support"  # type: ignore[valid-type]
    rate_limit: FixtureRateLimit | None = None


class FixtureSubscription(Body):
    id: Id
    name: Annotated[str, Field(min_length=1)]
    channel: Channel
    is_public: bool = False
    created_at: Stamp = None
    updated_at: Stamp = None


class FixtureContact(Body):
    id: Id
    external_id: Identifier
    anonymous_id: Identifier | None = None
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    locale: str | None = None
    data: dict[str, Any] | None = None
    devices: list[dict[str, Any]] | None = None
    created_at: Stamp = None
    updated_at: Stamp = None
    states: dict[str, State] = Field(default_factory=dict)


class FixtureProject(Body):
    id: Id
    name: str
    keys: list[FixtureKey] = Field(default_factory=list)
    subscriptions: list[FixtureSubscription] = Field(default_factory=list)
    contacts: list[FixtureContact] = Field(default_factory=list)


class Fixture(Body):
    """The fixture format (README, "Fixture format"); checked whole before anything loads."""

    projects: list[FixtureProject]


def problems(fixture: Any) -> list[dict[str, str]]:
    """Everything wrong with a fixture, as validation_failed errors[] entries (empty if fine):
    its shape, then what must be unique or must refer to something in it."""
    try:
        valid = Fixture.model_validate(fixture)
    except ValidationError as invalid:
        return [error_entry(detail) for detail in invalid.errors()]
    errors: list[dict[str, str]] = []
    seen: dict[str, set[Any]] = {"project": set(), "key": set(), "sub": set(), "contact": set()}

    def unique(kind: str, value: Any, where: str) -> None:
        if value in seen[kind]:
            errors.append(field_error(where, "parameter_invalid_format", "Duplicate value."))
        seen[kind].add(value)

    for p, project in enumerate(valid.projects):
        at = f"projects[{p}]"
        unique("project", project.id, f"{at}.id")
        for k, key in enumerate(project.keys):
            prefix = "sk_" if key.scope == "secret" else "pk_"
            if not key.value.startswith(prefix):
                errors.append(
                    field_error(
                        f"{at}.keys[{k}].value",
                        "parameter_invalid_format",
                        f"A {key.scope} key starts with {prefix}.",
                    )
                )
            unique("key", key.value, f"{at}.keys[{k}].value")
        for s, sub in enumerate(project.subscriptions):
            unique("sub", sub.id, f"{at}.subscriptions[{s}].id")
        subscription_ids = {sub.id for sub in project.subscriptions}
        identifiers: set[str] = set()
        for c, contact in enumerate(project.contacts):
            where = f"{at}.contacts[{c}]"
            unique("contact", contact.id, f"{where}.id")
            # No two contacts of a project share an id of either kind: an anonymous id may
            # stand in as an external id, so the two kinds are one namespace.
            for name in ("external_id", "anonymous_id"):
                if getattr(contact, name) in identifiers:
                    errors.append(
                        field_error(f"{where}.{name}", "parameter_invalid_format", "Duplicate.")
                    )
            identifiers |= {contact.external_id, contact.anonymous_id} - {None}
            for sub_id in contact.states:
                if not (sub_id.isascii() and sub_id.isdigit() and int(sub_id) in subscription_ids):
                    errors.append(
                        field_error(
                            f"{where}.states.{sub_id}",
                            "parameter_invalid_format",
                            "Not a subscription type of this project.",
                        )
                    )
    return errors
