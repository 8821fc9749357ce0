"""The operator's block (services/blocks.py): out of service, not routed, not charged, and
back in service without a charge for the blocked periods; refused from any other state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from didstore.clock import FixedClock
from didstore.db.tables import numbers
from didstore.domain.e164 import from_body
from didstore.domain.errors import Conflict, InvalidInput, NotFound
from didstore.domain.renewal import resume_billing
from didstore.services.models import CLI
from didstore.services.renewals import run_renewals
from tests.conftest import IN_NUMBERS, admin_headers, make_account, stock
from tests.support import TestServices

E = IN_NUMBERS[0]


def _bought(state: TestServices, balance: int = 10_000) -> object:
    acct = make_account(state, balance=balance)
    stock(state, [E], setup_fee=100, monthly_fee=300)
    state.numbers.purchase(CLI, state.accounts.get(acct.auth_id), from_body(E))
    return acct


def test_resume_billing_skips_the_blocked_periods() -> None:
    anchor = datetime(2026, 1, 31, 10, tzinfo=UTC)
    due = datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert resume_billing(anchor, due, due - timedelta(days=1)) == due  # still ahead: kept
    later = datetime(2026, 5, 2, tzinfo=UTC)
    assert resume_billing(anchor, due, later) == datetime(2026, 5, 31, 10, tzinfo=UTC)


def test_block_stops_routing_and_the_owner_cannot_release(
    state: TestServices, client: TestClient
) -> None:
    acct = _bought(state)
    assert state.blocks.block(CLI, from_body(E), "fraud report 17").status == "blocked"
    route = client.get(f"/api/v1/admin/routes/{E}", headers=admin_headers()).json()
    assert route["routable"] is False and route["reason"] == "blocked"
    with pytest.raises(InvalidInput, match="blocked"):
        state.numbers.release(
            CLI,
            state.accounts.get(acct.auth_id),  # type: ignore[attr-defined]
            from_body(E),
            immediate=False,
        )
    with pytest.raises(Conflict, match="already blocked"):
        state.blocks.block(CLI, from_body(E))


def test_blocked_periods_are_not_charged_and_unblock_resumes_billing(
    state: TestServices, clock: FixedClock
) -> None:
    acct = _bought(state)
    balance = state.wallet.balance(state.accounts.get(acct.auth_id), "INR")  # type: ignore[attr-defined]
    state.blocks.block(CLI, from_body(E))
    later = datetime(2026, 5, 2, tzinfo=UTC)  # three billing dates pass while blocked
    assert state.call(run_renewals, state.adb, _At(later)).charged == 0
    clock.set(later)
    resumed = state.blocks.unblock(CLI, from_body(E))
    assert resumed.status == "active"
    assert resumed.next_billing_date == datetime(2026, 5, 31, 10, tzinfo=UTC)
    assert state.call(run_renewals, state.adb, _At(later)).charged == 0  # nothing owed now
    after = state.wallet.balance(state.accounts.get(acct.auth_id), "INR")  # type: ignore[attr-defined]
    assert after == balance
    at_next = datetime(2026, 5, 31, 11, tzinfo=UTC)
    assert state.call(run_renewals, state.adb, _At(at_next)).charged == 1  # billing resumed


def test_only_active_numbers_are_blocked_and_only_blocked_ones_unblocked(
    state: TestServices,
) -> None:
    stock(state, [E])
    with pytest.raises(Conflict, match="only an active number"):
        state.blocks.block(CLI, from_body(E))
    with pytest.raises(Conflict, match="not blocked"):
        state.blocks.unblock(CLI, from_body(E))
    with pytest.raises(NotFound):
        state.blocks.block(CLI, from_body(IN_NUMBERS[1]))


def test_block_and_unblock_over_http_are_operator_only_and_audited(
    state: TestServices, client: TestClient
) -> None:
    acct = _bought(state)
    path = f"/api/v1/admin/numbers/{E}/block"
    assert client.post(path, headers=acct.headers).status_code == 403  # type: ignore[attr-defined]
    r = client.post(path, json={"reason": "court order"}, headers=admin_headers())
    assert r.status_code == 200, r.text
    assert r.json()["is_blocked"] is True and r.json()["status"] == "blocked"
    assert client.post(path, headers=admin_headers()).status_code == 409
    listed = client.get(
        f"/api/v1/Account/{acct.auth_id}/numbers/{E}",  # type: ignore[attr-defined]
        headers=acct.headers,  # type: ignore[attr-defined]
    ).json()
    assert listed["is_blocked"] is True
    r = client.delete(path, headers=admin_headers())
    assert r.status_code == 200 and r.json()["is_blocked"] is False
    audit = client.get("/api/v1/admin/audit", params={"e164": E}, headers=admin_headers())
    actions = [row["action"] for row in audit.json()["objects"]]
    assert "number.block" in actions and "number.unblock" in actions


class _At:
    """A clock fixed at one instant (a renewal run as of ``when``)."""

    def __init__(self, when: datetime) -> None:
        self.when = when

    def now(self) -> datetime:
        return self.when


def test_a_block_racing_a_release_changes_the_number_once_and_money_follows(
    state: TestServices, racers: list[TestServices]
) -> None:
    """Both are conditional updates on the number's state: whichever commits first wins; the
    other is refused and changes nothing, and the release fee is charged only if the release
    won (on PostgreSQL and SQLite, from independent service stacks)."""
    from tests.support import run_together

    for attempt in range(6):
        number = IN_NUMBERS[10 + attempt]
        acct = make_account(state, balance=10_000, release_fee=7)
        stock(state, [number], setup_fee=100, monthly_fee=300)
        state.numbers.purchase(CLI, state.accounts.get(acct.auth_id), from_body(number))
        before = state.wallet.balance(state.accounts.get(acct.auth_id), "INR").balance_minor

        def release(s: TestServices, auth_id: str = acct.auth_id, n: str = number) -> str:
            s.numbers.release(CLI, s.accounts.get(auth_id), from_body(n), immediate=False)
            return "released"

        def block(s: TestServices, n: str = number) -> str:
            s.blocks.block(CLI, from_body(n))
            return "blocked"

        out = run_together(racers, [release, block])
        assert len(out.results) == 1, (out.results, out.errors)  # exactly one won
        (error,) = out.errors
        assert isinstance(error, Conflict | InvalidInput)  # refused, nothing changed
        with state.db.read() as conn:
            now_state = conn.execute(
                select(numbers.c.state).where(numbers.c.e164 == number)
            ).scalar_one()
        after = state.wallet.balance(state.accounts.get(acct.auth_id), "INR").balance_minor
        if out.results == ["released"]:
            assert now_state == "pending_release" and after == before - 700
        else:
            assert now_state == "blocked" and after == before
