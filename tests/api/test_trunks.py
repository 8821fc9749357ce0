"""Trunk CRUD on the wire (entities spec §1)."""

from __future__ import annotations

from tests.conftest import World, admin_headers

TRUNK_KEYS = {
    "trunk_id", "account_id", "name", "trunk_domain", "trunk_status", "secure",
    "trunk_direction", "concurrent_calls_limit", "cps_limit", "description", "transport",
    "recording", "enable_transcription", "pii_redaction", "webhook_method",
    "recording_webhook_enabled", "created_at", "updated_at",
}  # fmt: skip


def test_create_returns_exactly_the_18_documented_keys_with_defaults(world: World) -> None:
    r = world.client.post(
        world.url(world.main, "/trunks"),
        json={"name": "t1", "username": "u", "password": "p", "ip_whitelist": ["1.2.3.4"],
              "credential_uuid": "e3e55a78-1234-5678-90ab-cdef12345678"},
        headers=world.main.headers,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == TRUNK_KEYS
    assert body["account_id"] == world.main.auth_id
    assert (body["cps_limit"], body["concurrent_calls_limit"]) == (2, 10)
    assert (body["transport"], body["trunk_status"], body["secure"]) == ("udp", "active", False)
    assert body["trunk_domain"].startswith(body["trunk_id"])


def test_list_get_update_delete(world: World) -> None:
    tid = world.trunk(world.main)
    h = world.main.headers
    listed = world.client.get(world.url(world.main, "/trunks"), headers=h).json()
    assert set(listed) == {"meta", "objects"}
    assert listed["meta"] == {"limit": 20, "offset": 0, "total": 1}
    assert [t["trunk_id"] for t in listed["objects"]] == [tid]
    r = world.client.put(
        world.url(world.main, f"/trunks/{tid}"),
        json={"name": "renamed", "cps_limit": 5, "webhook_url": "https://hooks.example.com/x"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert set(r.json()) == TRUNK_KEYS
    assert (r.json()["name"], r.json()["cps_limit"]) == ("renamed", 5)
    item = world.client.get(world.url(world.main, "/trunks"), headers=h).json()["objects"][0]
    assert item["webhook_url"] == "https://hooks.example.com/x"
    got = world.client.get(world.url(world.main, f"/trunks/{tid}"), headers=h)
    assert got.status_code == 200 and set(got.json()) == TRUNK_KEYS
    d = world.client.delete(world.url(world.main, f"/trunks/{tid}"), headers=h)
    assert d.status_code == 204 and d.content == b""
    gone = world.client.get(world.url(world.main, f"/trunks/{tid}"), headers=h)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"


def test_another_accounts_trunk_is_not_found(world: World) -> None:
    tid = world.trunk(world.other)
    for method in ("GET", "PUT", "DELETE"):
        r = world.client.request(
            method, world.url(world.main, f"/trunks/{tid}"), json={}, headers=world.main.headers
        )
        assert r.status_code == 404, (method, r.text)
    r = world.client.get(world.url(world.main, "/trunks/not-a-uuid"), headers=world.main.headers)
    assert r.status_code == 404


def test_bad_fields_are_400(world: World) -> None:
    h = world.main.headers
    for body in (
        {},
        {"name": ""},
        {"name": "x", "transport": "sctp"},
        {"name": "x", "cps_limit": 2.5},
        {"name": "x", "webhook_url": "http://127.0.0.1/hook"},
        {"name": "x", "webhook_url": "http://169.254.169.254/latest"},
        {"name": "x", "webhook_url": "http://10.1.2.3/"},
    ):
        r = world.client.post(world.url(world.main, "/trunks"), json=body, headers=h)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "invalid_request"


def test_old_vocabulary_is_accepted(world: World) -> None:
    r = world.client.post(
        "/api/v1/account/" + world.main.auth_id + "/trunks/",
        json={"name": "old", "trunk_type": "OUTBOUND", "max_concurrent_calls": 30},
        headers=world.main.headers,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["trunk_direction"], r.json()["concurrent_calls_limit"]) == ("outbound", 30)


def test_deleting_a_trunk_in_use_is_409_and_changes_nothing(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    tid = world.trunk(world.main)
    r = world.client.post(
        world.url(world.main, f"/numbers/{n}/assign"),
        json={"trunk_group_id": tid},
        headers=world.main.headers,
    )
    assert r.status_code == 204, r.text
    d = world.client.delete(world.url(world.main, f"/trunks/{tid}"), headers=world.main.headers)
    assert d.status_code == 409 and d.json()["error"] == "conflict"
    assert (
        world.client.get(
            world.url(world.main, f"/trunks/{tid}"), headers=world.main.headers
        ).status_code
        == 200
    )
    assert world.listed(world.main)[n]["trunk_group_id"] == tid


def test_trunk_changes_are_audited(world: World) -> None:
    from sqlalchemy import select

    from didstore.db.tables import audit_log

    tid = world.trunk(world.main)
    world.client.put(
        world.url(world.main, f"/trunks/{tid}"), json={"name": "b"}, headers=world.main.headers
    )
    world.client.delete(world.url(world.main, f"/trunks/{tid}"), headers=admin_headers())
    with world.state.db.read() as conn:
        rows = conn.execute(
            select(audit_log.c.action, audit_log.c.actor_type)
            .where(audit_log.c.entity_id == tid)
            .order_by(audit_log.c.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("trunk.create", "account"),
        ("trunk.update", "account"),
        ("trunk.delete", "operator"),
    ]


def test_trunk_and_application_urls_cannot_reach_private_addresses(world: World) -> None:
    """Issue 14's reproductions: each was accepted before."""
    for url in ("http://localhost./", "http://0x7f000001/", "http://2130706433/", "http://127.1/"):
        r = world.client.post(
            world.url(world.main, "/trunks"),
            json={"name": "t", "webhook_url": url},
            headers=world.main.headers,
        )
        assert r.status_code == 400, (url, r.text)
    r = world.client.post(
        world.url(world.main, "/Application/"),
        json={
            "app_name": "metadata",
            "answer_url": "http://169.254.169.254/latest/meta-data/",
            "answer_method": "GET",
        },
        headers=world.main.headers,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_request"
