"""Applications (entities spec §2) and number attach/detach (numbers spec §4.7)."""

from __future__ import annotations

from tests.conftest import World

ITEM_KEYS = {
    "answer_method", "answer_url", "app_id", "app_name", "application_type", "created_at",
    "default_app", "default_endpoint_app", "enabled", "fallback_answer_url", "fallback_method",
    "hangup_method", "hangup_url", "log_incoming_message", "message_method", "message_url",
    "public_uri", "resource_uri", "sip_transfer_method", "sip_transfer_url", "sip_uri",
    "sub_account", "updated_at",
}  # fmt: skip


def test_create_get_list_update_delete(world: World) -> None:
    h = world.main.headers
    r = world.client.post(
        world.url(world.main, "/Application/"),
        json={"name": "old-sdk_app", "answer_url": "https://ex.com/a", "answer_method": "GET",
              "hangup_method": "POST", "fallback_method": "POST"},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"api_id", "app_id", "message"}
    app_id = r.json()["app_id"]
    assert len(app_id) == 17 and app_id.isdigit()
    got = world.client.get(world.url(world.main, f"/Application/{app_id}"), headers=h).json()
    assert set(got) == ITEM_KEYS | {"api_id"}
    assert got["hangup_url"] == "https://ex.com/a"  # defaults to answer_url
    assert got["answer_method"] == "GET" and got["application_type"] == "XML"
    assert " " in got["created_at"] and got["created_at"].endswith("+00:00")
    listed = world.client.get(world.url(world.main, "/Application/"), headers=h).json()
    assert set(listed) == {"api_id", "meta", "objects"}
    assert listed["meta"]["next"] == "" and listed["meta"]["total_count"] == 1
    assert set(listed["objects"][0]) == ITEM_KEYS
    u = world.client.post(
        world.url(world.main, f"/Application/{app_id}/"),
        json={"app_name": "renamed", "default_number_app": True},
        headers=h,
    )
    assert u.status_code == 200 and set(u.json()) == {"api_id", "message"}
    got = world.client.get(world.url(world.main, f"/Application/{app_id}/"), headers=h).json()
    assert got["app_name"] == "renamed" and "default_number_app" not in got
    assert (
        world.client.delete(world.url(world.main, f"/Application/{app_id}"), headers=h).status_code
        == 204
    )
    assert (
        world.client.get(world.url(world.main, f"/Application/{app_id}"), headers=h).status_code
        == 404
    )


def test_list_pages_with_next_links(world: World) -> None:
    for i in range(3):
        world.app(world.main, f"a{i}")
    r = world.client.get(
        world.url(world.main, "/Application/?limit=2&offset=0"), headers=world.main.headers
    ).json()
    assert len(r["objects"]) == 2
    assert r["meta"]["next"].endswith("limit=2&offset=2")
    r2 = world.client.get(
        world.url(world.main, "/Application/?limit=2&offset=2"), headers=world.main.headers
    ).json()
    assert len(r2["objects"]) == 1 and r2["meta"]["next"] == ""


def test_bad_app_bodies_are_400(world: World) -> None:
    for body in (
        {"answer_url": "https://ex.com"},
        {"app_name": "has space", "answer_url": "https://ex.com"},
        {"app_name": "x", "answer_url": "ftp://ex.com"},
        {"app_name": "x", "answer_url": "https://ex.com", "answer_method": "PUT"},
    ):
        r = world.client.post(
            world.url(world.main, "/Application/"), json=body, headers=world.main.headers
        )
        assert r.status_code == 400, (body, r.text)


def test_attach_overwrites_detach_and_foreign_app_is_404(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    a1, a2 = world.app(world.main, "one"), world.app(world.main, "two")
    foreign = world.app(world.other, "theirs")
    url = world.url(world.main, f"/numbers/{n}/application")
    h = world.main.headers
    r = world.client.post(url, json={"application_id": a1}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["number"] == n and r.json()["application"]["app_id"] == a1
    assert world.client.post(url, json={"application_id": a2}, headers=h).status_code == 200
    assert world.listed(world.main)[n]["application_id"] == a2
    r = world.client.post(url, json={"application_id": foreign}, headers=h)
    assert r.status_code == 404
    assert world.listed(world.main)[n]["application_id"] == a2
    r = world.client.delete(url, headers=h)
    assert r.status_code == 200 and r.json()["message"] == "Number detached from application"
    assert world.listed(world.main)[n]["application_id"] is None
    assert world.client.delete(url, headers=h).status_code == 200  # no-op
    not_mine = world.numbers[1]
    world.buy(world.other, not_mine)
    r = world.client.post(
        world.url(world.main, f"/numbers/{not_mine}/application"),
        json={"application_id": a1},
        headers=h,
    )
    assert r.status_code == 404


def test_app_in_use_cannot_be_deleted(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    a = world.app(world.main)
    world.client.post(
        world.url(world.main, f"/numbers/{n}/application"),
        json={"application_id": a},
        headers=world.main.headers,
    )
    r = world.client.delete(world.url(world.main, f"/Application/{a}/"), headers=world.main.headers)
    assert r.status_code == 409
    assert r.json() == {  # the documented 409 body
        "error": "Cannot delete application",
        "message": "Application is currently in use by 1 phone numbers",
    }
    assert (
        world.client.get(
            world.url(world.main, f"/Application/{a}"), headers=world.main.headers
        ).status_code
        == 200
    )


def test_new_numbers_attach_to_the_default_number_app(world: World) -> None:
    first = world.app(world.main, "first", default_number_app=True)
    bought = world.buy(world.main, world.numbers[0])
    assert bought["application_id"] == first
    second = world.app(world.main, "second", default_number_app=True)  # takes over the flag
    assert world.buy(world.main, world.numbers[1])["application_id"] == second
    # a sub-account without its own default inherits its parent's
    assert world.buy(world.sub, world.numbers[2])["application_id"] == second
    # an account without a default app gets none
    assert world.buy(world.other, world.numbers[3])["application_id"] is None


def test_missing_application_answers_the_documented_404_body(world: World) -> None:
    h = world.main.headers
    foreign = world.app(world.other, "theirs")
    for app_id in ("12345678901234567", foreign):
        for method, path in (
            ("GET", f"/Application/{app_id}"),
            ("GET", f"/Application/{app_id}/"),
            ("POST", f"/Application/{app_id}/"),
            ("DELETE", f"/Application/{app_id}/"),
        ):
            body = {"app_name": "x", "default_number_app": False} if method == "POST" else None
            r = world.client.request(method, world.url(world.main, path), json=body, headers=h)
            assert r.status_code == 404, (method, path, r.text)
            assert r.json() == {"error": "Application not found", "app_id": app_id}
    # other errors on the same routes keep the flat envelope
    mine = world.app(world.main, "mine")
    r = world.client.post(
        world.url(world.main, f"/Application/{mine}/"),
        json={"app_name": "bad name", "default_number_app": False},
        headers=h,
    )
    assert r.status_code == 400, r.text
    assert set(r.json()) == {"error", "message"} and r.json()["error"] == "invalid_request"
