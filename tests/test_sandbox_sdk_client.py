"""Sandbox: a client generated from the sandbox's own /api/openapi.json by a standard generator
(openapi-python-client) round-trips every operation against a running sandbox.

The client is generated into a temporary folder during the run and never committed. Every
answer is read back through the generated models: each parses into the type the document
promises, and writing it out again gives exactly the JSON the sandbox sent.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests

from sandbox.testing import running_sandbox
from tests.support import JANE, OMAR, PUBLISHABLE_KEY, SECRET_KEY

PACKAGE = "spotzee_sandbox_client"


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, from the document a running sandbox serves."""
    folder = tmp_path_factory.mktemp("generated")
    with running_sandbox(folder / "s.sqlite3") as url:
        served = requests.get(f"{url}/api/openapi.json", timeout=10)
    (folder / "openapi.json").write_bytes(served.content)
    # No post-processing hooks: the generated code is imported, never read or committed.
    (folder / "config.json").write_text(json.dumps({"post_hooks": []}))
    generated = subprocess.run(  # noqa: S603 - this interpreter, arguments of our own
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(folder / "openapi.json"),
            "--output-path",
            str(folder / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(folder / "config.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout  # nothing left out
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Generated:
    """The generated package's operations and models, called as a brand's code would."""

    def __init__(self, sdk: ModuleType, base_url: str) -> None:
        self.sdk = sdk
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.server = sdk.AuthenticatedClient(base_url=base_url, token=SECRET_KEY)
        self.browser = sdk.AuthenticatedClient(base_url=base_url, token=PUBLISHABLE_KEY)

    def call(self, operation: str, *, client: Any = None, **arguments: Any) -> Any:
        """Run one operation (its snake_case module) and check the round trip: the parsed
        answer writes back out as exactly the JSON received."""
        module = importlib.import_module(f"{PACKAGE}.api.default.{operation}")
        answer = module.sync_detailed(client=client or self.server, **arguments)
        if answer.content:
            assert answer.parsed.to_dict() == json.loads(answer.content)
        return answer

    def as_user(self, token: str) -> Any:
        return self.browser.with_headers({"X-Spotzee-User-Token": token})


@pytest.fixture
def client(sdk: ModuleType, sandbox) -> Generated:
    return Generated(sdk, sandbox.api)


def test_create_user_session_then_the_browser_calls(client) -> None:
    m = client.models
    minted = client.call("create_user_session", user_id=JANE)
    assert minted.status_code == 200 and isinstance(minted.parsed, m.UserSessionResponse)
    assert minted.parsed.expires_at.endswith("Z")
    browser = client.as_user(minted.parsed.token)

    me = client.call("get_current_user", client=browser)
    assert isinstance(me.parsed, m.User) and me.parsed.external_id == JANE

    toggled = client.call(
        "update_current_user_subscriptions",
        client=browser,
        body=[m.UserSubscriptionToggleItem(subscription_id=15, state=m.SubscriptionState(1))],
    )
    assert isinstance(toggled.parsed, m.UserSubscriptionList)
    states = {item.subscription_id: item.state for item in toggled.parsed.results}
    assert states[15] == m.SubscriptionState.VALUE_1
    assert toggled.parsed.next_cursor is None


def test_get_user_list_and_toggle_its_subscriptions(client) -> None:
    m = client.models
    jane = client.call("get_user", user_id=JANE).parsed
    assert isinstance(jane, m.User) and jane.email == "jane@example.com"
    assert jane.data.additional_properties["first_name"] == "Jane"

    listed = client.call("list_user_subscriptions", user_id=OMAR, limit=2, q="e").parsed
    assert isinstance(listed, m.UserSubscriptionList) and len(listed.results) == 2
    rest = client.call(
        "list_user_subscriptions", user_id=OMAR, cursor=listed.next_cursor, limit=100
    ).parsed
    assert rest.prev_cursor is not None

    refreshed = client.call(
        "toggle_user_subscriptions",
        user_id=OMAR,
        body=[m.UserSubscriptionToggleItem(subscription_id=9, state=m.SubscriptionState(0))],
    ).parsed
    assert isinstance(refreshed, m.User) and refreshed.external_id == OMAR


def test_batch_upsert_users_and_delete_one(client) -> None:
    m = client.models
    upserted = client.call(
        "batch_upsert_users",
        body=[
            m.UserUpsertByExternalId(external_id="cust-sdk-1", email="sdk@example.com"),
            m.UserUpsertByAnonymousId(anonymous_id="anon-sdk-1"),
            m.UserUpsertByExternalId(external_id="cust-sdk-2", email="not an email"),
        ],
    ).parsed
    assert isinstance(upserted, m.UserBatchSyncResponse)
    assert (upserted.succeeded, upserted.failed) == (2, 1)
    first, anonymous, bad = upserted.results
    assert isinstance(first.user, m.User) and first.user.external_id == "cust-sdk-1"
    assert anonymous.user.external_id == "anon-sdk-1"
    assert bad.error.code == m.ErrorCode.PARAMETER_INVALID_FORMAT

    deleted = client.call("delete_user", user_id="cust-sdk-1")
    assert deleted.status_code == 204 and deleted.content == b""
    gone = client.call("get_user", user_id="cust-sdk-1").parsed
    assert isinstance(gone, m.ErrorResponse)
    assert (gone.code, gone.param) == (m.ErrorCode.RESOURCE_MISSING, "userId")


def test_subscription_types_are_listed_created_read_and_updated(client) -> None:
    m = client.models
    page = client.call("list_subscriptions", limit=4).parsed
    assert isinstance(page, m.SubscriptionList) and len(page.results) == 4
    assert all(isinstance(s.channel, m.SubscriptionChannel) for s in page.results)
    assert [s.id for s in client.call("list_subscriptions", q="sms").parsed.results] == [12]

    created = client.call(
        "create_subscription",
        body=m.SubscriptionCreate(name="Flash sales", channel=m.SubscriptionChannel.TEXT),
    ).parsed
    assert isinstance(created, m.Subscription) and created.is_public is False
    read = client.call("get_subscription", subscription_id=created.id).parsed
    assert read.to_dict() == created.to_dict()
    updated = client.call(
        "update_subscription",
        subscription_id=created.id,
        body=m.SubscriptionUpdate(name="Flash sales by SMS", is_public=True),
    ).parsed
    assert (updated.name, updated.is_public) == ("Flash sales by SMS", True)


def test_batch_toggle_subscriptions_and_track_events(client) -> None:
    m = client.models
    toggled = client.call(
        "batch_toggle_subscriptions",
        body=[
            m.SubscriptionBatchToggleItem(
                subscription_id=7, state=m.SubscriptionState(0), external_id=JANE
            ),
            m.SubscriptionBatchToggleItem(
                subscription_id=7, state=m.SubscriptionState(1), external_id="nobody"
            ),
        ],
    ).parsed
    assert isinstance(toggled, m.SubscriptionBatchToggleResponse)
    applied, failed = toggled.results
    assert (applied.subscription_id, applied.state) == (7, m.SubscriptionState.VALUE_0)
    assert (failed.subscription_id, failed.error.code) == (7, "resource_missing")

    for client_kind in (client.server, client.browser):
        tracked = client.call(
            "track_events",
            client=client_kind,
            body=[m.EventByExternalId(name="opened_preferences", external_id=JANE)],
        )
        assert tracked.status_code == 204 and tracked.parsed is None
        assert "Content-Type" not in tracked.headers


def test_every_operation_of_the_document_is_exercised_here() -> None:
    """The tests above call each generated operation; a new one must be added to them."""
    from sandbox.openapi import document

    source = Path(__file__).read_text(encoding="utf-8")
    for item in document()["paths"].values():
        for operation in item.values():
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in operation["operationId"])
            assert f'"{snake}"' in source, operation["operationId"]
