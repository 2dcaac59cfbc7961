"""Sandbox: contacts, subscription types and subscription states, as the contract shapes them."""

from __future__ import annotations

import pytest

from tests.support import JANE, OMAR

PUBLIC_IDS = [7, 8, 12, 15, 21]
ACCOUNT_SECURITY = 9  # the demo fixture's non-public type


def test_toggling_my_subscriptions_answers_every_public_type_with_its_state(sandbox) -> None:
    token = sandbox.mint()
    response = sandbox.toggle(
        token, [{"subscription_id": 15, "state": 1}, {"subscription_id": 7, "state": 0}]
    )
    assert response.status_code == 200
    body = response.json()
    assert [item["subscription_id"] for item in body["results"]] == PUBLIC_IDS
    states = {item["subscription_id"]: item["state"] for item in body["results"]}
    assert states == {7: 0, 8: 2, 12: 0, 15: 1, 21: 0}  # 21 is unset and reads 0
    assert body["nextCursor"] is None and body["prevCursor"] is None
    assert body["limit"] == len(PUBLIC_IDS)
    assert set(body["results"][0]) == {"subscription_id", "state", "name", "channel"}
    assert sandbox.states()[15] == 1


def test_resending_the_current_state_changes_nothing(sandbox) -> None:
    token = sandbox.mint()
    first = sandbox.toggle(token, [{"subscription_id": 7, "state": 1}]).json()
    again = sandbox.toggle(token, [{"subscription_id": 7, "state": 1}]).json()
    assert first == again


def test_an_unknown_subscription_id_is_404_and_nothing_is_written(sandbox) -> None:
    before = sandbox.states()
    response = sandbox.toggle(
        sandbox.mint(), [{"subscription_id": 15, "state": 1}, {"subscription_id": 999, "state": 1}]
    )
    assert response.status_code == 404
    assert response.json()["code"] == "resource_missing"
    assert response.json()["param"] == "[1].subscription_id"
    assert sandbox.states() == before


def test_a_non_public_type_cannot_be_toggled_from_the_browser(sandbox) -> None:
    response = sandbox.toggle(sandbox.mint(), [{"subscription_id": ACCOUNT_SECURITY, "state": 0}])
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert sandbox.states()[ACCOUNT_SECURITY] == 1


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ([], ["body"]),
        ([{"subscription_id": 7, "state": 1}] * 101, ["body"]),
        ({"subscription_id": 7, "state": 1}, ["body"]),
        ([{"subscription_id": 7, "state": 3}], ["[0].state"]),
        ([{"subscription_id": 7, "state": True}], ["[0].state"]),
        (
            [{"subscription_id": "7", "state": 1}, {"state": 1}, "x"],
            ["[0].subscription_id", "[1].subscription_id", "[2]"],
        ),
        ([{"subscription_id": 7}], ["[0].state"]),
    ],
    ids=["empty", "over-100", "not-array", "bad-state", "bool-state", "several", "missing"],
)
def test_bad_toggle_bodies_are_422_naming_each_bad_item(sandbox, body, params) -> None:
    before = sandbox.states()
    response = sandbox.toggle(sandbox.mint(), body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "validation_failed"
    assert [error["param"] for error in problem["errors"]] == params
    assert sandbox.states() == before


def test_malformed_json_is_400(sandbox) -> None:
    response = sandbox.call(
        "PATCH",
        "/subscriptions/me",
        key="pk_sandbox_demo_publishable_key_0001",
        token=sandbox.mint(),
        data=b"[{",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parameter_invalid_format"


def test_a_contacts_states_list_every_type_with_unset_defaults(sandbox) -> None:
    response = sandbox.call("GET", f"/users/{OMAR}/subscriptions")
    assert response.status_code == 200
    body = response.json()
    states = {item["subscription_id"]: item["state"] for item in body["results"]}
    # Omar set 7 and 15; unset public types read 0, the unset non-public type reads 1.
    assert states == {7: 0, 8: 0, 9: 1, 12: 0, 15: 1, 21: 0}
    assert body["limit"] == 25 and body["nextCursor"] is None


def test_the_server_may_set_any_type_and_gets_the_contact_back(sandbox) -> None:
    response = sandbox.call(
        "PATCH",
        f"/users/{JANE}/subscriptions",
        json=[{"subscription_id": ACCOUNT_SECURITY, "state": 0}],
    )
    assert response.status_code == 200
    assert response.json()["external_id"] == JANE and "email" in response.json()
    assert sandbox.states()[ACCOUNT_SECURITY] == 0


@pytest.mark.parametrize("path", ["/users/nobody", "/users/nobody/subscriptions"])
def test_unknown_contacts_are_404_naming_user_id(sandbox, path) -> None:
    response = sandbox.call("GET", path)
    assert response.status_code == 404
    assert response.json() | {"request_id": None, "message": None, "error": None} == {
        "status": "error",
        "code": "resource_missing",
        "title": "Resource missing",
        "message": None,
        "error": None,
        "request_id": None,
        "param": "userId",
        "type": "https://docs.spotzee.com/main-api/errors#resource_missing",
    }


def test_a_contact_reads_as_the_contract_shapes_it(sandbox) -> None:
    contact = sandbox.call("GET", f"/users/{JANE}").json()
    assert contact["id"] == 1024 and contact["project_id"] == 42
    assert contact["email"] == "jane@example.com" and contact["phone"] == "+61400123456"
    assert contact["data"]["first_name"] == "Jane"
    assert contact["has_push_device"] is True
    assert contact["created_at"].endswith("Z") and "." in contact["created_at"]


def walk(sandbox, path: str, limit: int, **params) -> list[int]:
    seen, cursor = [], None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = sandbox.call("GET", path, params=query).json()
        seen += [item.get("id", item.get("subscription_id")) for item in body["results"]]
        cursor = body["nextCursor"]
        if cursor is None:
            return seen


def test_lists_paginate_with_opaque_cursors_both_ways(sandbox) -> None:
    assert walk(sandbox, "/subscriptions", 2) == [7, 8, 9, 12, 15, 21]
    assert walk(sandbox, "/subscriptions", 4, direction="desc") == [21, 15, 12, 9, 8, 7]
    second = sandbox.call(
        "GET",
        "/subscriptions",
        params={
            "limit": 2,
            "cursor": sandbox.call("GET", "/subscriptions", params={"limit": 2}).json()[
                "nextCursor"
            ],
        },
    ).json()
    assert [s["id"] for s in second["results"]] == [9, 12]
    back = sandbox.call(
        "GET", "/subscriptions", params={"limit": 2, "page": "prev", "cursor": second["prevCursor"]}
    ).json()
    assert [s["id"] for s in back["results"]] == [7, 8] and back["prevCursor"] is None
    everything = sandbox.call("GET", "/subscriptions", params={"limit": -1}).json()
    assert len(everything["results"]) == 6 and everything["limit"] == -1


def test_a_cursor_stays_valid_when_items_are_added(sandbox) -> None:
    first = sandbox.call("GET", "/subscriptions", params={"limit": 3}).json()
    sandbox.call("POST", "/subscriptions", json={"name": "Flash sales", "channel": "text"})
    rest = walk(sandbox, "/subscriptions", 100, cursor=first["nextCursor"])
    assert rest[:3] == [12, 15, 21] and len(rest) == 4


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "x"),
        ("limit", "-2"),
        ("cursor", "!!"),
        ("page", "up"),
        ("sort", "name"),
    ],
)
def test_bad_pagination_parameters_are_400(sandbox, param, value) -> None:
    response = sandbox.call("GET", "/subscriptions", params={param: value})
    assert response.status_code == 400
    assert response.json()["code"] == "parameter_invalid_format"
    assert response.json()["param"] == param


def test_subscription_types_can_be_created_read_and_renamed(sandbox) -> None:
    created = sandbox.call(
        "POST", "/subscriptions", json={"name": "Flash sales", "channel": "text"}
    )
    assert created.status_code == 200
    new = created.json()
    assert new["is_public"] is False and new["channel"] == "text" and new["project_id"] == 42
    assert sandbox.call("GET", f"/subscriptions/{new['id']}").json() == new
    renamed = sandbox.call(
        "PATCH",
        f"/subscriptions/{new['id']}",
        json={"name": "Flash sales by SMS", "is_public": True},
    ).json()
    assert renamed["name"] == "Flash sales by SMS" and renamed["is_public"] is True
    assert renamed["channel"] == "text"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "X", "channel": "fax"}, 422, "validation_failed"),
        ({"channel": "email"}, 422, "validation_failed"),
        ({"name": "", "channel": "email"}, 422, "validation_failed"),
        ({"name": "X", "channel": "email", "is_public": "yes"}, 422, "validation_failed"),
        (["name"], 422, "validation_failed"),
    ],
)
def test_bad_subscription_types_are_refused(sandbox, body, status, code) -> None:
    response = sandbox.call("POST", "/subscriptions", json=body)
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert len(sandbox.call("GET", "/subscriptions").json()["results"]) == 6


def test_a_subscription_types_channel_cannot_change(sandbox) -> None:
    response = sandbox.call(
        "PATCH", "/subscriptions/7", json={"name": "News", "is_public": True, "channel": "text"}
    )
    assert response.status_code == 400 and response.json()["code"] == "parameter_unknown"
    assert sandbox.call("GET", "/subscriptions/7").json()["channel"] == "email"


def test_an_unknown_subscription_type_is_404(sandbox) -> None:
    assert sandbox.call("GET", "/subscriptions/404").status_code == 404
    assert sandbox.call("GET", "/subscriptions/99999999999999999999").status_code == 404


def test_batch_upsert_saves_good_items_and_reports_bad_ones(sandbox) -> None:
    response = sandbox.call(
        "POST",
        "/users/batch",
        json=[
            {
                "external_id": "cust-new",
                "email": "ada@example.com",
                "phone": "+44 7700 900 456",
                "data": {"first_name": "Ada"},
            },
            {"external_id": "cust-bad", "email": "not-an-email"},
            {"email": "nobody@example.com"},
            {"external_id": JANE, "locale": "en-GB"},
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["succeeded"], body["failed"]) == (2, 2)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0]["user"]["phone"] == "+447700900456"
    assert results[1]["error"]["code"] == "parameter_invalid_format"
    assert results[2]["error"]["code"] == "parameter_missing"
    assert results[3]["user"]["locale"] == "en-GB" and results[3]["user"]["id"] == 1024
    assert sandbox.call("GET", "/users/cust-new").status_code == 200
    assert sandbox.call("GET", "/users/cust-bad").status_code == 404


@pytest.mark.parametrize("path", ["/users/batch", "/subscriptions/batch"])
@pytest.mark.parametrize("body", [[], {"external_id": "x"}, [{}] * 101])
def test_batch_bodies_that_are_not_1_to_100_items_are_refused_whole(sandbox, path, body) -> None:
    response = sandbox.call("POST", path, json=body)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"


def test_batch_toggle_across_contacts_is_partial(sandbox) -> None:
    response = sandbox.call(
        "POST",
        "/subscriptions/batch",
        json=[
            {"subscription_id": 7, "state": 0, "external_id": JANE},
            {"subscription_id": 7, "state": 1, "external_id": "nope"},
            {"subscription_id": 12, "state": 1, "anonymous_id": "anon-2c8a3e"},
            {"subscription_id": 404, "state": 1, "external_id": OMAR},
        ],
    )
    body = response.json()
    assert (body["succeeded"], body["failed"]) == (2, 2)
    assert body["results"][0] == {
        "index": 0,
        "subscription_id": 7,
        "external_id": JANE,
        "anonymous_id": None,
        "state": 0,
    }
    assert body["results"][1]["error"] == {
        "code": "resource_missing",
        "message": "Contact identity could not be resolved.",
    }
    assert body["results"][3]["error"]["code"] == "resource_missing"
    assert sandbox.states()[7] == 0 and sandbox.states()[12] == 1


def test_events_are_accepted_and_bad_ones_refused(sandbox) -> None:
    good = sandbox.call(
        "POST",
        "/events",
        json=[{"name": "opened_preferences", "external_id": JANE, "data": {"from": "email"}}],
    )
    assert good.status_code == 204 and good.content == b""
    bad = sandbox.call("POST", "/events", json=[{"name": "", "external_id": JANE}, {"name": "x"}])
    assert bad.status_code == 422
    assert [e["param"] for e in bad.json()["errors"]] == ["[0].name", "[1]"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("news", [7]),
        ("UPDATES", [8, 15]),
        ("  sms ", [12]),
        ("push", [15]),  # the channel is searched too
        ("in_app", [21]),
        ("", [7, 8, 9, 12, 15, 21]),
        ("nothing like it", []),
    ],
)
def test_q_searches_subscription_types_by_name_and_channel(sandbox, q, expected) -> None:
    types = sandbox.call("GET", "/subscriptions", params={"q": q}).json()["results"]
    assert [t["id"] for t in types] == expected
    states = sandbox.call("GET", f"/users/{JANE}/subscriptions", params={"q": q}).json()
    assert [s["subscription_id"] for s in states["results"]] == expected


def test_a_search_pages_like_any_list(sandbox) -> None:
    assert walk(sandbox, "/subscriptions", 1, q="e") == [7, 8, 9, 12, 15]
    assert walk(sandbox, "/subscriptions", 1, q="email") == [7, 8, 9]


@pytest.mark.parametrize(
    ("item", "param"),
    [
        ({"subscription_id": "7", "state": 1, "external_id": JANE}, "[1].subscription_id"),
        ({"subscription_id": None, "state": 1, "external_id": JANE}, "[1].subscription_id"),
        ({"state": 1, "external_id": JANE}, "[1].subscription_id"),
        ({"subscription_id": 7, "state": True, "external_id": JANE}, "[1].state"),
        ({"subscription_id": 7, "state": 1, "external_id": 42}, "[1].external_id"),
        ("not an object", "[1]"),
    ],
)
def test_a_batch_toggle_item_of_the_wrong_shape_refuses_the_whole_batch(
    sandbox, item, param
) -> None:
    """Each result must name a numeric subscription_id (SubscriptionBatchToggleResult), which
    such an item has not: the request is refused whole, as the SDK's request type does."""
    before = sandbox.states()
    response = sandbox.call(
        "POST",
        "/subscriptions/batch",
        json=[{"subscription_id": 7, "state": 0, "external_id": JANE}, item],
    )
    assert response.status_code == 422
    assert [error["param"] for error in response.json()["errors"]] == [param]
    assert sandbox.states() == before


def test_every_batch_toggle_result_names_its_numeric_subscription_id(sandbox) -> None:
    response = sandbox.call(
        "POST",
        "/subscriptions/batch",
        json=[
            {"subscription_id": 7, "state": 0},
            {"subscription_id": 7, "state": 0, "external_id": "nobody"},
            {"subscription_id": 999, "state": 0, "external_id": JANE},
        ],
    )
    results = response.json()["results"]
    assert [r["subscription_id"] for r in results] == [7, 7, 999]
    assert [r["error"]["code"] for r in results] == [
        "parameter_missing",
        "resource_missing",
        "resource_missing",
    ]
    assert all("state" not in r for r in results)


def test_events_come_as_an_array_as_the_sdk_sends_them(sandbox) -> None:
    one = sandbox.call("POST", "/events", json={"name": "x", "external_id": JANE})
    assert one.status_code == 422
    assert [error["param"] for error in one.json()["errors"]] == ["body"]


def test_a_user_known_only_by_an_anonymous_id_reads_it_as_its_external_id(sandbox) -> None:
    """The SDK's User requires a string external_id; UserUpsertByAnonymousId needs none."""
    created = sandbox.call("POST", "/users/batch", json=[{"anonymous_id": "anon-7d1e"}])
    user = created.json()["results"][0]["user"]
    assert (user["external_id"], user["anonymous_id"]) == ("anon-7d1e", "anon-7d1e")
    assert sandbox.call("GET", "/users/anon-7d1e").json()["id"] == user["id"]
    assert sandbox.call("POST", "/users/anon-7d1e/sessions").status_code == 200

    identified = sandbox.call(
        "POST", "/users/batch", json=[{"anonymous_id": "anon-7d1e", "external_id": "cust-7d1e"}]
    ).json()["results"][0]["user"]
    assert (identified["id"], identified["external_id"]) == (user["id"], "cust-7d1e")
    assert identified["anonymous_id"] == "anon-7d1e"
    assert sandbox.call("GET", "/users/anon-7d1e").status_code == 404
    assert sandbox.call("GET", "/users/cust-7d1e").status_code == 200


def test_an_anonymous_id_that_is_another_users_external_id_is_a_conflict(sandbox) -> None:
    result = sandbox.call("POST", "/users/batch", json=[{"anonymous_id": JANE}]).json()
    assert result["results"][0]["error"]["code"] == "state_conflict"
    assert sandbox.call("GET", f"/users/{JANE}").json()["anonymous_id"] == "anon-2c8a3e"


@pytest.mark.parametrize("identifier", ["a/b", "/", ".", "..", "", "x" * 256])
def test_an_identifier_no_url_path_could_name_is_refused_on_write(sandbox, identifier) -> None:
    """A user is addressed by its external_id in one path segment; a '/' (even as %2F) or a
    dot segment can never reach it, so such an id is refused rather than stored unreachable."""
    upserted = sandbox.call(
        "POST",
        "/users/batch",
        json=[{"external_id": identifier}, {"anonymous_id": identifier}, {"external_id": "ok-1"}],
    ).json()
    assert (upserted["succeeded"], upserted["failed"]) == (1, 2)
    assert {r["error"]["code"] for r in upserted["results"][:2]} <= {
        "parameter_invalid_format",
        "parameter_invalid_empty",
    }
    event = sandbox.call("POST", "/events", json=[{"name": "x", "external_id": identifier}])
    assert event.status_code == 422
    seeded = sandbox.control(
        "POST",
        "seed",
        {"projects": [{"id": 1, "name": "P", "contacts": [{"id": 2, "external_id": identifier}]}]},
    )
    assert seeded.status_code == 422
    assert sandbox.call("GET", "/users/ok-1").status_code == 200  # the demo state is kept
