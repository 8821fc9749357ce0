"""Sub-account moves and the 15-day DID cool-off (numbers spec §4.8, §4.9)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from didstore.clock import FixedClock
from didstore.db.tables import audit_log
from tests.conftest import World, admin_headers


def _move(world: World, n: str, sub: str, headers=None):
    return world.client.post(
        f"/api/v1/account/{world.main.auth_id}/numbers/{n}/assign-subaccount",
        json={"sub_account_id": sub},
        headers=headers or world.main.headers,
    )


def _back(world: World, n: str, force: str | None = None, headers=None):
    q = f"?force={force}" if force else ""
    return world.client.delete(
        f"/api/v1/account/{world.main.auth_id}/numbers/{n}/assign-subaccount{q}",
        headers=headers or world.main.headers,
    )


def _ts(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_move_to_sub_and_back_for_a_never_used_did(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    r = _move(world, n, world.sub.auth_id)
    assert r.status_code == 204, r.text
    assert n in world.listed(world.sub)
    assert world.listed(world.main)[n]["account_id"] == world.sub.auth_id
    assert _move(world, n, world.sub.auth_id).status_code == 204  # idempotent
    assert _back(world, n).status_code == 204
    assert n not in world.listed(world.sub)
    assert world.listed(world.main)[n]["account_id"] == world.main.auth_id
    assert _back(world, n).status_code == 404  # not on a sub-account any more


def test_parent_credentials_only_and_unknown_targets(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    # the sub-account acting on the parent path: account mismatch (403 nested envelope)
    r = _move(world, n, world.sub.auth_id, headers=world.sub.headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == 403
    # the parent acting on the sub-account's path: not a main account, 403
    r = world.client.post(
        f"/api/v1/account/{world.sub.auth_id}/numbers/{n}/assign-subaccount",
        json={"sub_account_id": world.sub.auth_id},
        headers=world.main.headers,
    )
    assert r.status_code == 403
    assert _move(world, n, "SA_NOPE1234").status_code == 404
    assert _move(world, n, world.other.auth_id).status_code == 404
    r = world.client.post(
        f"/api/v1/account/{world.main.auth_id}/numbers/{n}/assign-subaccount",
        json={},
        headers=world.main.headers,
    )
    assert r.status_code == 400
    assert _move(world, world.numbers[1], world.sub.auth_id).status_code == 404  # not ours


def test_cool_off_boundaries(world: World, clock: FixedClock) -> None:
    a, b = world.numbers[0], world.numbers[1]
    for n in (a, b):
        world.buy(world.main, n)
        assert _move(world, n, world.sub.auth_id).status_code == 204
    clock.set(clock.now() + timedelta(days=20))  # the calls come after the purchase
    now = clock.now()
    recent = now - timedelta(days=14, hours=23)
    old = now - timedelta(days=15, seconds=1)
    assert world.call(a, started_at=_ts(recent), duration_seconds=30).status_code == 201
    assert world.call(b, started_at=_ts(old), duration_seconds=30).status_code == 201
    r = _back(world, a)
    assert r.status_code == 409
    assert r.json() == {
        "error": "did_cool_off_in_effect",
        "cool_off_until": _ts(recent + timedelta(days=15)),
        "cool_off_remaining_seconds": 3600,
    }
    assert a in world.listed(world.sub)
    assert _back(world, b).status_code == 204
    # one hour later the cool-off on ``a`` has run out
    clock.set(now + timedelta(hours=1))
    assert _back(world, a).status_code == 204


def test_calls_before_the_purchase_do_not_start_a_cool_off(world: World, clock: FixedClock) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    _move(world, n, world.sub.auth_id)
    assert world.call(n, started_at=_ts(clock.now() - timedelta(days=1))).status_code == 201
    assert _back(world, n).status_code == 204


def test_force_is_operator_only_and_audited(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    _move(world, n, world.sub.auth_id)
    assert world.call(n, duration_seconds=10).status_code == 201
    r = _back(world, n, force="true")
    assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert _back(world, n).status_code == 409
    assert n in world.listed(world.sub)
    r = _back(world, n, force="True", headers=admin_headers())
    assert r.status_code == 204, r.text
    assert n not in world.listed(world.sub)
    with world.state.db.read() as conn:
        row = (
            conn.execute(
                select(audit_log).where(audit_log.c.action == "number.unassign_subaccount_forced")
            )
            .one()
            ._mapping
        )
    assert row["actor_type"] == "operator" and row["e164"] == n
    overridden = row["after"]["overridden_cool_off"]
    assert overridden["cool_off_remaining_seconds"] == 15 * 24 * 3600
    assert row["before"]["owner"] == world.sub.auth_id


def test_moving_back_detaches_the_sub_accounts_own_trunk_only(world: World) -> None:
    n1, n2 = world.numbers[0], world.numbers[1]
    for n in (n1, n2):
        world.buy(world.main, n)
        _move(world, n, world.sub.auth_id)
    parent_trunk, sub_trunk = world.trunk(world.main), world.trunk(world.sub)
    for n, t in ((n1, parent_trunk), (n2, sub_trunk)):
        r = world.client.post(
            world.url(world.sub, f"/numbers/{n}/assign"),
            json={"trunk_group_id": t},
            headers=world.sub.headers,
        )
        assert r.status_code == 204, r.text
    assert _back(world, n1).status_code == 204
    assert _back(world, n2).status_code == 204
    listed = world.listed(world.main)
    assert listed[n1]["trunk_group_id"] == parent_trunk
    assert listed[n2]["trunk_group_id"] is None
