"""Trunk assignment (numbers spec §4.6), release/cancel interplay and the route lookup."""

from __future__ import annotations

from functools import partial

from didstore.domain.e164 import E164
from didstore.domain.errors import DomainError
from didstore.services.models import CLI
from tests.conftest import World, admin_headers
from tests.support import TestServices, run_together


def _assign(world: World, n: str, tid: str, who=None):
    who = who or world.main
    return world.client.post(
        world.url(who, f"/numbers/{n}/assign"), json={"trunk_group_id": tid}, headers=who.headers
    )


def test_assign_unassign_rules(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    t1, t2 = world.trunk(world.main, "a"), world.trunk(world.main, "b")
    r = _assign(world, n, t1)
    assert r.status_code == 204 and r.content == b""
    assert world.listed(world.main)[n]["trunk_group_id"] == t1
    again = _assign(world, n, t2)
    assert again.status_code == 400
    assert again.json()["message"] == "This number is already assigned to a trunk."
    url = world.url(world.main, f"/numbers/{n}/assign")
    assert world.client.delete(url, headers=world.main.headers).status_code == 204
    assert world.listed(world.main)[n]["trunk_group_id"] is None
    assert world.client.delete(url, headers=world.main.headers).status_code == 404
    assert _assign(world, n, t2).status_code == 204


def test_foreign_trunk_unknown_number_and_bad_bodies(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    foreign = world.trunk(world.other)
    assert _assign(world, n, foreign).status_code == 404
    assert _assign(world, n, "e3e55a78-1234-5678-90ab-cdef12345678").status_code == 404
    assert _assign(world, world.numbers[1], world.trunk(world.main)).status_code == 404  # unowned
    r = world.client.post(
        world.url(world.main, f"/numbers/{n}/assign"), json={}, headers=world.main.headers
    )
    assert r.status_code == 400
    r = world.client.post(
        world.url(world.main, "/numbers/not-a-number/assign"),
        json={"trunk_group_id": foreign},
        headers=world.main.headers,
    )
    assert r.status_code == 400
    assert world.listed(world.main)[n]["trunk_group_id"] is None


def test_sub_account_number_may_use_parent_trunk_but_not_the_reverse(world: World) -> None:
    n_sub, n_main = world.numbers[0], world.numbers[1]
    world.buy(world.sub, n_sub)
    world.buy(world.main, n_main)
    parent_trunk, sub_trunk = world.trunk(world.main), world.trunk(world.sub)
    assert _assign(world, n_sub, parent_trunk, world.sub).status_code == 204
    assert _assign(world, n_main, sub_trunk, world.main).status_code == 404


def test_release_detaches_and_cancel_does_not_reattach(world: World) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    tid, app = world.trunk(world.main), world.app(world.main)
    assert _assign(world, n, tid).status_code == 204
    world.client.post(
        world.url(world.main, f"/numbers/{n}/application"),
        json={"application_id": app},
        headers=world.main.headers,
    )
    assert world.route(n)["routable"] is True
    r = world.client.delete(world.url(world.main, f"/numbers/{n}"), headers=world.main.headers)
    assert r.status_code == 200, r.text
    route = world.route(n)
    assert (route["routable"], route["reason"]) == (False, "pending_release")
    assert _assign(world, n, tid).status_code == 400  # cancel first
    r = world.client.post(
        world.url(world.main, f"/numbers/{n}/cancel-release"), headers=world.main.headers
    )
    assert r.status_code == 200, r.text
    item = world.listed(world.main)[n]
    assert item["trunk_group_id"] is None and item["application_id"] is None
    assert world.route(n)["reason"] == "no_route"


def test_route_lookup_shapes_and_reasons(world: World) -> None:
    n, spare = world.numbers[0], world.numbers[1]
    assert world.route(spare) == {
        "e164": spare, "account_id": None, "routable": False,
        "trunk_group_id": None, "application_id": None, "reason": "unowned",
    }  # fmt: skip
    world.buy(world.sub, n)
    assert world.route(n)["reason"] == "no_route"
    assert world.route(n)["account_id"] == world.sub.auth_id
    tid = world.trunk(world.sub)
    _assign(world, n, tid, world.sub)
    assert world.route(n) == {
        "e164": n, "account_id": world.sub.auth_id, "routable": True,
        "trunk_group_id": tid, "application_id": None, "reason": None,
    }  # fmt: skip
    # every accepted path form of the number resolves the same way
    digits = n[1:]
    for form in (digits, "%2B" + digits, "%252B" + digits):
        assert world.route(form)["routable"] is True
    world.client.delete(
        world.url(world.sub, f"/numbers/{n}?immediate=true"), headers=world.sub.headers
    )
    assert world.route(n)["reason"] == "released" and world.route(n)["account_id"] is None
    r = world.client.get("/api/v1/admin/routes/+918099999999", headers=admin_headers())
    assert r.status_code == 404
    r = world.client.get(f"/api/v1/admin/routes/{n}", headers=world.main.headers)
    assert r.status_code == 403


def test_route_reason_after_the_24h_release_window_without_the_job(
    world: World,
    clock,
) -> None:
    from datetime import timedelta

    n = world.numbers[0]
    world.buy(world.main, n)
    world.client.delete(world.url(world.main, f"/numbers/{n}"), headers=world.main.headers)
    clock.set(clock.now() + timedelta(hours=24, seconds=1))
    assert world.route(n)["reason"] == "released"


def test_two_concurrent_trunk_assignments_exactly_one_wins(
    state: TestServices, racers: list[TestServices], world: World
) -> None:
    n = world.numbers[0]
    world.buy(world.main, n)
    account = state.accounts.get(world.main.auth_id)
    trunks = [world.trunk(world.main, f"t{i}") for i in range(8)]

    def attempt(tid: str, racer: TestServices) -> str:
        racer.routing.assign_trunk(CLI, account, E164(n), tid)
        return "won:" + tid

    out = run_together(racers, [partial(attempt, t) for t in trunks])
    assert all(isinstance(e, DomainError) for e in out.errors), out.errors
    outcomes = out.results + [e.code for e in out.errors if isinstance(e, DomainError)]
    winners = [o for o in outcomes if o.startswith("won:")]
    assert len(winners) == 1, outcomes
    assert sorted(set(outcomes) - set(winners)) == ["invalid_request"]
    assert world.listed(world.main)[n]["trunk_group_id"] == winners[0][4:]


def test_an_aadhaar_restricted_number_does_not_route_until_kyc(world: World) -> None:
    from sqlalchemy import update

    from didstore.db.tables import numbers

    n = world.numbers[0]
    world.buy(world.sub, n)
    _assign(world, n, world.trunk(world.main), world.sub)
    with world.state.db.write() as conn:  # stock flag as an import with the column would set it
        conn.execute(
            update(numbers).where(numbers.c.e164 == n).values(aadhaar_verification_required=True)
        )
    assert (world.route(n)["routable"], world.route(n)["reason"]) == (False, "kyc_required")
    r = world.client.post(
        f"/api/v1/admin/accounts/{world.main.auth_id}/kyc",
        json={"aadhaar_verified": True},
        headers=admin_headers(),
    )
    assert r.status_code == 200
    assert world.route(n)["routable"] is True  # the personal_use sub-account inherits it
