"""Sandbox, property-based: generated JSON, strings and ids thrown at every endpoint never get
a 500, every 4xx comes in Spotzee's envelope, and after any refusal the stored state is
exactly what it was. Generated fixtures are refused whole or leave a sandbox that serves.

The examples are derandomised (the same sequence on every run and machine) and each starts
from the demo fixture, so a failure reproduces exactly.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sandbox.errors import CATALOGUE
from sandbox.models import ErrorResponse
from sandbox.openapi import document
from sandbox.testing import running_sandbox
from tests.support import JANE, OMAR, PUBLISHABLE_KEY, SECRET_KEY, Sandbox

OPERATIONS = sorted(
    (method.upper(), path, operation)
    for path, item in document()["paths"].items()
    for method, operation in item.items()
)
# Statuses whose code is not the catalogue's own: a body too large, a method a path lacks.
STATUS_FOR_CODE_EXCEPTIONS = {413, 405}
# The sandbox's stored state; kept idempotent answers are not state a client changed.
STATE_TABLES = ("projects", "api_keys", "subscription_types", "contacts", "subscription_states")


class Live:
    """A sandbox for the whole module, and what each example needs of it."""

    def __init__(self, box: Sandbox, database: Path) -> None:
        self.box = box
        self.database = database

    def fresh(self) -> str:
        """Back to the demo fixture; a token for Jane (reset changes the signing key)."""
        self.box.reset()
        return self.box.mint()

    def state(self) -> str:
        """A digest of every stored row a request could change, events included."""
        digest = hashlib.sha256()
        with closing(sqlite3.connect(f"file:{self.database}?mode=ro", uri=True)) as conn:
            for table in (*STATE_TABLES, "events"):
                for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):  # noqa: S608
                    digest.update(repr(row).encode())
        return digest.hexdigest()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    database = tmp_path_factory.mktemp("properties") / "s.sqlite3"
    with running_sandbox(database) as url, requests.Session() as http:
        yield Live(Sandbox(url=url, http=http), database)


# -- what is thrown ------------------------------------------------------------------------

HOSTILE_STRINGS = st.sampled_from(
    [
        *("", " ", "/", "a/b", ".", "..", "%2F", "\n", "a\r\nb", "\u2028", "\x00", "\x1b[2J"),
        *("¹", "١٠٢٤", "x" * 256, "\ud800", "a\udfffb"),
        *(JANE, OMAR, "anon-2c8a3e", "1024", "7", "9"),
    ]
)
HOSTILE_INTS = st.sampled_from([0, -1, 1, 2, 3, 7, 9, 999, 2**31, 2**63 - 1, 2**63, -(2**63) - 1])
STRINGS = st.text(max_size=12) | HOSTILE_STRINGS
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HOSTILE_INTS
    | st.floats(allow_nan=False, allow_infinity=False)
    | STRINGS
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(STRINGS, children, max_size=4)
    ),
    max_leaves=10,
)
# Items that look like what the endpoints take, with any field replaced by anything.
FIELDS = [
    "subscription_id",
    "state",
    "external_id",
    "anonymous_id",
    "name",
    "channel",
    "is_public",
    "email",
    "phone",
    "timezone",
    "locale",
    "data",
    "user",
    "created_at",
]
# A valid item of each body, so that one field changed to anything is often the only fault.
VALID_ITEMS = {
    "updateCurrentUserSubscriptions": {"subscription_id": 15, "state": 1},
    "toggleUserSubscriptions": {"subscription_id": 9, "state": 0},
    "batchToggleSubscriptions": {"subscription_id": 7, "state": 0, "external_id": JANE},
    "batchUpsertUsers": {"external_id": "cust-new", "email": "new@example.com"},
    "createSubscription": {"name": "Flash sales", "channel": "text"},
    "updateSubscription": {"name": "Renamed", "is_public": True},
    "trackEvents": {"name": "viewed", "external_id": JANE},
}
ANYTHING = HOSTILE_STRINGS | HOSTILE_INTS | JSON | st.sampled_from([0, 1, 2, "email", True])


@st.composite
def items(draw: st.DrawFn, operation_id: str) -> dict[str, Any]:
    """A valid item with up to two fields set to anything, or removed."""
    item = dict(VALID_ITEMS.get(operation_id, {}))
    for _ in range(draw(st.integers(0, 2))):
        field = draw(st.sampled_from(FIELDS))
        if draw(st.integers(0, 4)) == 0:
            item.pop(field, None)
        else:
            item[field] = draw(ANYTHING)
    return item


RAW = st.sampled_from(
    [
        b"[" * 1000 + b"]" * 1000,
        b'{"a":' * 300 + b"1" + b"}" * 300,
        b'[{"subscription_id": 7, "state": 1, "name": "\\ud800"}]',
        b'[{"external_id": "x", "name": "\\udc00", "subscription_id": 7, "state": 0}]',
        b'[{"subscription_id": 7, "state": NaN}]',
        b'[{"external_id": "x", "name": "n", "data": {"n": 1e400}}]',
        b"\xff\xfe",
        b"[{",
        b"",
        b"null",
    ]
) | st.binary(max_size=40)


def encoded(text: str) -> str:
    """Any text as a URL component, lone surrogates included (as the bytes they would be)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def bodies(draw: st.DrawFn, operation_id: str) -> bytes | None:
    kind = draw(st.sampled_from(["items", "items", "items", "deep", "json", "raw", "none"]))
    if kind == "none":
        return None
    if kind == "raw":
        return draw(RAW)
    if kind == "json":
        value = draw(JSON)
    else:
        value = draw(st.lists(items(operation_id), min_size=0, max_size=3))
        single = operation_id in ("createSubscription", "updateSubscription")
        other_shape = draw(st.integers(0, 5)) == 0  # now and then, the shape not expected
        if value and single != other_shape:
            value = value[0]
    text = json.dumps(value).encode()  # ensure_ascii: a lone surrogate travels as \ud800
    if kind == "deep":  # the value buried in generated levels of arrays or objects
        depth = draw(st.sampled_from([199, 200, 201, 1000, 3000]) | st.integers(100, 3000))
        opening, closing = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        text = opening * depth + text + closing * depth
    return text


@st.composite
def requests_to_every_endpoint(draw: st.DrawFn) -> dict[str, Any]:
    method, template, operation = draw(st.sampled_from(OPERATIONS))
    path = template.replace("{userId}", encoded(draw(STRINGS))).replace(
        "{subscriptionId}", encoded(str(draw(HOSTILE_INTS | st.integers() | STRINGS)))
    )
    query = draw(
        st.dictionaries(
            st.sampled_from(["cursor", "page", "limit", "sort", "direction", "q", "x"]),
            STRINGS | HOSTILE_INTS.map(str),
            max_size=3,
        )
    )
    if query:
        path += "?" + "&".join(f"{encoded(k)}={encoded(v)}" for k, v in query.items())
    header_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF), max_size=300)
    headers = draw(
        st.dictionaries(
            st.sampled_from(["Idempotency-Key", "Spotzee-Version", "X-Spotzee-User-Token"]),
            header_text | st.sampled_from(["2026-04-28", "k" * 255, "k" * 256]),
            max_size=2,
        )
    )
    return {
        "method": method,
        "path": path,
        "browser": "userToken" in json.dumps(operation["security"]),
        "headers": headers,
        "body": draw(bodies(operation["operationId"])) if method in ("POST", "PATCH") else None,
        # Mostly the right key, so that most requests get past authentication.
        "wrong_key": draw(st.sampled_from([*[None] * 9, "", "Bearer sk_x", "Basic a"])),
    }


# -- what must hold ------------------------------------------------------------------------


def send(live: Live, token: str, request: dict[str, Any]) -> requests.Response:
    headers = {"Content-Type": "application/json", **request["headers"]}
    if request["browser"]:
        headers.setdefault("X-Spotzee-Contact-Token", token)
    key = PUBLISHABLE_KEY if request["browser"] else SECRET_KEY
    headers["Authorization"] = (
        f"Bearer {key}" if request["wrong_key"] is None else request["wrong_key"]
    )
    return live.box.http.request(
        request["method"],
        f"{live.box.api}{request['path']}",
        data=request["body"],
        # As bytes, so that requests sends any Latin-1 value (NEL, NBSP) as it stands.
        headers={name: value.encode("latin-1") for name, value in headers.items()},
        timeout=10,
    )


def assert_answered_properly(answer: requests.Response) -> None:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["Content-Type"] == "application/problem+json", answer.text
        envelope = ErrorResponse.model_validate_json(answer.content, strict=False)
        # The API's answers carry their id in a header too; the controls' only in the body.
        assert envelope.request_id == answer.headers.get("X-Request-Id", envelope.request_id)
        if answer.status_code not in STATUS_FOR_CODE_EXCEPTIONS:
            assert CATALOGUE[envelope.code][0] == answer.status_code, answer.text
    elif answer.status_code == 204:
        assert answer.content == b"" and "Content-Type" not in answer.headers
    else:
        assert answer.headers["Content-Type"] == "application/json"
        answer.json()


@given(request=requests_to_every_endpoint())
@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_hostile_requests_get_a_4xx_envelope_and_change_nothing(live, request) -> None:
    token = live.fresh()
    before = live.state()
    answer = send(live, token, request)
    assert_answered_properly(answer)
    if 400 <= answer.status_code < 500:
        assert live.state() == before, f"{answer.status_code} {answer.text}"


@given(
    item=items("batchToggleSubscriptions")
    | st.dictionaries(st.sampled_from(FIELDS), ANYTHING, max_size=6),
    position=st.integers(0, 2),
)
@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_one_bad_item_among_good_ones_writes_nothing_where_a_batch_is_all_or_nothing(
    live, item, position
) -> None:
    """PATCH /subscriptions/me, PATCH /users/{id}/subscriptions, POST /subscriptions/batch
    and POST /events are all or nothing: a refusal leaves the good items unwritten too."""
    token = live.fresh()
    good = {"subscription_id": 15, "state": 1, "external_id": JANE, "name": "viewed"}
    batch = [good, good]
    batch.insert(position, item)
    for method, path, browser in (
        ("PATCH", "/subscriptions/me", True),
        ("PATCH", f"/users/{JANE}/subscriptions", False),
        ("POST", "/subscriptions/batch", False),
        ("POST", "/events", False),
    ):
        before = live.state()
        request = {
            "method": method,
            "path": path,
            "browser": browser,
            "headers": {},
            "body": json.dumps(batch).encode(),
            "wrong_key": None,
        }
        answer = send(live, token, request)
        assert_answered_properly(answer)
        if 400 <= answer.status_code < 500:
            assert live.state() == before, f"{method} {path}: {answer.text}"


SECRET = "sk_generated_fixture_key_01"
FIXTURE_VALUES = HOSTILE_STRINGS | HOSTILE_INTS | JSON | st.sampled_from(["email", "a@b.co", True])


@st.composite
def fixtures(draw: st.DrawFn) -> Any:
    """A demo-like fixture with any of its values replaced by anything."""

    def record(valid: dict[str, Any]) -> dict[str, Any]:
        record = dict(valid)
        for _ in range(draw(st.integers(0, 2))):
            record[draw(st.sampled_from([*valid, *FIELDS, "devices", "states"]))] = draw(
                FIXTURE_VALUES
            )
        return record

    project = record(
        {
            "id": 1,
            "name": "P",
            "keys": [record({"value": SECRET, "scope": "secret", "role": "admin"})],
            "subscriptions": [record({"id": 7, "name": "News", "channel": "email"})],
            "contacts": [
                record({"id": 2, "external_id": "c-2", "anonymous_id": "a-2", "states": {}}),
                record({"id": 3, "external_id": "c-3", "devices": [{"os": "ios"}]}),
            ],
        }
    )
    return {"projects": [project]} if draw(st.integers(0, 9)) else draw(JSON)


@given(fixture=fixtures())
@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_seed_is_refused_whole_or_serves_every_read(live, fixture) -> None:
    live.fresh()
    before = live.state()
    seeded = live.box.control("POST", "seed", fixture)
    assert_answered_properly(seeded)
    if seeded.status_code != 200:
        assert live.state() == before, seeded.text
        return
    for path in ("/subscriptions", "/users/c-2", "/users/c-3/subscriptions", "/users/a-2"):
        assert_answered_properly(live.box.call("GET", path, key=SECRET))
