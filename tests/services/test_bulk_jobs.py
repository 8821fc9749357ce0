"""Bulk jobs (services/bulk_jobs.py, ADR 0023): a job of many numbers done by the runner step,
each item exactly once (with the number's change), a result per number, cancellation,
a runner killed half way and resumed, two runners at once, and the confirmation token of
destructive jobs. Both databases."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from didstore.clock import FixedClock
from didstore.db.tables import bulk_job_items, bulk_jobs, events, ledger_entries, numbers, wallets
from didstore.domain.e164 import from_body
from didstore.domain.errors import (
    BulkJobFinished,
    BulkJobTooLarge,
    ConfirmationInvalid,
    ConfirmationRequired,
    InvalidInput,
    NotFound,
)
from didstore.services.bulk_jobs import BulkJob, Preview
from didstore.services.models import CLI, Account, Actor
from tests.conftest import IN_NUMBERS, AccountHandle, make_account, make_sub_account, stock
from tests.support import TestServices, kill_when_stalled, run_together, stalled_inserts

FEE = (100 + 300) * 100  # setup fee + first month of a stocked number, in paise
P = 100  # paise per rupee: accounts are funded, and fees set, in rupees


def _account(state: TestServices, acct: AccountHandle) -> Account:
    account: Account = state.accounts.get(acct.auth_id)
    return account


def _actor(acct: AccountHandle) -> Actor:
    return Actor(kind="account", auth_id=acct.auth_id, credential="x-auth")


def _submit(state: TestServices, acct: AccountHandle, body: dict[str, Any]) -> BulkJob:
    job = state.bulk_jobs.submit(_actor(acct), _account(state, acct), body)
    assert isinstance(job, BulkJob)
    return job


def _preview(state: TestServices, acct: AccountHandle, body: dict[str, Any]) -> Preview:
    out = state.bulk_jobs.submit(_actor(acct), _account(state, acct), {**body, "dry_run": True})
    assert isinstance(out, Preview)
    return out


def _get(state: TestServices, acct: AccountHandle, job_id: str) -> BulkJob:
    job: BulkJob = state.bulk_jobs.get(_account(state, acct), job_id)
    return job


def _balance(state: TestServices, acct: AccountHandle) -> int:
    account = _account(state, acct)
    with state.db.read() as conn:
        value = conn.execute(
            select(wallets.c.balance_minor).where(wallets.c.account_id == account.id)
        ).scalar_one_or_none()
    return int(value or 0)


def _ledger_rows(state: TestServices, reference_type: str) -> int:
    with state.db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(ledger_entries)
                .where(ledger_entries.c.reference_type == reference_type)
            ).scalar_one()
        )


def _owner_counts(state: TestServices, e164s: list[str]) -> dict[str, Any]:
    with state.db.read() as conn:
        rows = conn.execute(
            select(numbers.c.e164, numbers.c.state, numbers.c.owner_account_id).where(
                numbers.c.e164.in_(e164s)
            )
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _buy(state: TestServices, acct: AccountHandle, e164s: list[str]) -> None:
    for e in e164s:
        state.numbers.purchase(CLI, _account(state, acct), from_body(e))


def test_purchase_job_buys_every_number_once_with_the_exact_balance_after(
    state: TestServices,
) -> None:
    acct = make_account(state, balance=10_000)
    wanted = IN_NUMBERS[:5]
    stock(state, wanted)
    job = _submit(state, acct, {"action": "purchase", "numbers": wanted})
    assert job.status == "pending" and job.progress.total == 5 and job.progress.done == 0
    assert _balance(state, acct) == 10_000 * P  # nothing happens inside the request
    report = state.jobs.run("bulk")
    assert report.bulk_items == 5 and report.bulk_jobs_completed == 1
    done = _get(state, acct, job.id)
    assert done.status == "completed" and done.finished_at is not None
    assert done.progress.succeeded == 5 and done.progress.failed == 0
    assert [r.e164 for r in done.results or []] == wanted
    assert all(r.status == "succeeded" for r in done.results or [])
    assert _balance(state, acct) == 10_000 * P - 5 * FEE
    assert _ledger_rows(state, "did_purchase") == 5
    account = _account(state, acct)
    assert all(v == ("active", account.id) for v in _owner_counts(state, wanted).values())
    assert state.jobs.run("bulk").bulk_items == 0  # a second run has nothing to do
    assert _balance(state, acct) == 10_000 * P - 5 * FEE
    assert state.wallet.verify() == []


def test_partial_failures_give_a_result_per_number(state: TestServices) -> None:
    acct = make_account(state, balance=2 * 400 + 50)  # enough for two numbers
    wanted = IN_NUMBERS[:4]
    stock(state, wanted[:3])  # the fourth is not in inventory
    job = _submit(state, acct, {"action": "purchase", "numbers": wanted})
    state.jobs.run("bulk")
    done = _get(state, acct, job.id)
    assert done.status == "completed"
    assert [(r.status, r.error_code) for r in done.results or []] == [
        ("succeeded", None),
        ("succeeded", None),
        ("failed", "insufficient_balance"),
        ("failed", "not_found"),
    ]
    assert done.progress.succeeded == 2 and done.progress.failed == 2
    assert _balance(state, acct) == 50 * P
    states = _owner_counts(state, wanted[:3])
    assert states[wanted[2]] == ("available", None)  # the refused one is untouched


def test_a_locked_number_fails_its_release_item_and_the_others_are_released(
    state: TestServices,
) -> None:
    acct = make_account(state, balance=10_000, release_fee=50)
    owned = IN_NUMBERS[:3]
    stock(state, owned)
    _buy(state, acct, owned)
    account = _account(state, acct)
    state.locks.set(_actor(acct), account, from_body(owned[1]), locked=True)
    before = _balance(state, acct)
    job = _submit(state, acct, {"action": "release", "numbers": owned})
    state.jobs.run("bulk")
    done = _get(state, acct, job.id)
    assert [(r.e164, r.status, r.error_code) for r in done.results or []] == [
        (owned[0], "succeeded", None),
        (owned[1], "failed", "number_locked"),
        (owned[2], "succeeded", None),
    ]
    assert _balance(state, acct) == before - 2 * 50 * P  # two release fees, not three
    states = _owner_counts(state, owned)
    assert states[owned[1]][0] == "active"
    assert states[owned[0]][0] == states[owned[2]][0] == "pending_release"


def test_routing_and_move_jobs_reuse_the_use_cases(state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    sub = make_sub_account(state, acct)
    owned = IN_NUMBERS[:3]
    stock(state, owned)
    _buy(state, acct, owned)
    account = _account(state, acct)
    trunk = state.trunks.create(_actor(acct), account, {"name": "t1"})
    app = state.applications.create(
        _actor(acct),
        account,
        {"app_name": "ivr", "answer_url": "https://example.com/a", "answer_method": "POST"},
    )
    jobs = [
        _submit(
            state,
            acct,
            {"action": "assign_trunk", "numbers": owned, "params": {"trunk_id": trunk["id"]}},
        ),
        _submit(
            state,
            acct,
            {"action": "attach_application", "numbers": owned, "params": {"app_id": app["id"]}},
        ),
        _submit(
            state, acct, {"action": "move", "numbers": owned, "params": {"subaccount": sub.auth_id}}
        ),
    ]
    state.jobs.run("bulk")
    for job in jobs:
        done = _get(state, acct, job.id)
        assert done.status == "completed" and done.progress.succeeded == 3, done
    sub_id = _account(state, sub).id
    with state.db.read() as conn:
        rows = conn.execute(
            select(numbers.c.owner_account_id, numbers.c.trunk_id, numbers.c.application_id).where(
                numbers.c.e164.in_(owned)
            )
        ).all()
    # the sub-account may use its parent's trunk and application: both are kept by the move
    assert {tuple(r) for r in rows} == {(sub_id, trunk["id"], app["id"])}


def test_cancel_keeps_the_done_items_and_cancels_the_pending_ones(state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    wanted = IN_NUMBERS[:5]
    stock(state, wanted)
    job = _submit(state, acct, {"action": "purchase", "numbers": wanted})
    assert state.bulk_runner.run(limit=2).processed == 2
    running = _get(state, acct, job.id)
    assert running.status == "running" and running.progress.done == 2
    cancelled = state.bulk_jobs.cancel(_actor(acct), _account(state, acct), job.id)
    assert cancelled.status == "cancelled"
    assert (cancelled.progress.succeeded, cancelled.progress.cancelled) == (2, 3)
    assert state.jobs.run("bulk").bulk_items == 0
    assert _balance(state, acct) == 10_000 * P - 2 * FEE
    statuses = [r.status for r in _get(state, acct, job.id).results or []]
    assert statuses == ["succeeded", "succeeded", "cancelled", "cancelled", "cancelled"]
    with pytest.raises(BulkJobFinished):
        state.bulk_jobs.cancel(_actor(acct), _account(state, acct), job.id)


def test_job_events_are_written_with_their_counts(state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    wanted = IN_NUMBERS[:2]
    stock(state, wanted)
    job = _submit(state, acct, {"action": "purchase", "numbers": wanted})
    state.jobs.run("bulk")
    other = _submit(state, acct, {"action": "release", "numbers": wanted})
    state.bulk_jobs.cancel(_actor(acct), _account(state, acct), other.id)
    with state.db.read() as conn:
        rows = conn.execute(
            select(events.c.type, events.c.account_id, events.c.data)
            .where(events.c.type.like("job.%"))
            .order_by(events.c.seq)
        ).all()
    assert [(r[0], r[2]["id"]) for r in rows] == [
        ("job.created", job.id),
        ("job.completed", job.id),
        ("job.created", other.id),
        ("job.cancelled", other.id),
    ]
    assert all(r[1] == acct.auth_id for r in rows)
    assert rows[1][2]["progress"]["succeeded"] == 2
    assert rows[3][2]["progress"]["cancelled"] == 2


def test_a_runner_killed_half_way_is_resumed_without_a_double_charge(
    state: TestServices, clock: FixedClock, database_url: str
) -> None:
    acct = make_account(state, balance=10_000)
    wanted = IN_NUMBERS[:6]
    stock(state, wanted)
    job = _submit(state, acct, {"action": "purchase", "numbers": wanted})
    script = Path(__file__).with_name("_bulk_worker_killed.py")
    third_purchase = (
        "(SELECT count(*) FROM ledger_entries WHERE reference_type = 'did_purchase') >= 3"
    )
    with stalled_inserts(state.db, "ledger_entries", third_purchase):
        proc = subprocess.Popen(
            [sys.executable, str(script), database_url, clock.now().isoformat()],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).parents[2],
        )
        two_done = "(SELECT count(*) FROM ledger_entries WHERE reference_type = 'did_purchase') = 2"
        kill_when_stalled(state.db, proc, ready=two_done)
    assert proc.returncode == -9  # really killed
    half = _get(state, acct, job.id)
    # the third item's transaction (claim, purchase, debit) died uncommitted: two are done
    assert half.status == "running" and half.progress.succeeded == 2
    assert _balance(state, acct) == 10_000 * P - 2 * FEE
    assert _ledger_rows(state, "did_purchase") == 2
    report = state.jobs.run("bulk")  # a fresh runner resumes it
    assert report.bulk_items == 4 and report.bulk_jobs_completed == 1
    done = _get(state, acct, job.id)
    assert done.status == "completed" and done.progress.succeeded == 6
    assert _balance(state, acct) == 10_000 * P - 6 * FEE
    assert _ledger_rows(state, "did_purchase") == 6
    assert state.wallet.verify() == []


def test_two_runners_at_once_do_each_item_once(
    state: TestServices, racers: list[TestServices]
) -> None:
    acct = make_account(state, balance=100_000)
    wanted = IN_NUMBERS[:20]
    stock(state, wanted)
    job = _submit(state, acct, {"action": "purchase", "numbers": wanted})
    out = run_together(racers, [lambda stack: stack.bulk_runner.run()] * len(racers))
    assert not out.errors, out.errors
    reports = out.results
    assert sum(r.processed for r in reports) == 20  # every item done by exactly one runner
    assert sum(r.jobs_completed for r in reports) == 1  # and completed once
    done = _get(state, acct, job.id)
    assert done.status == "completed" and done.progress.succeeded == 20
    assert _balance(state, acct) == 100_000 * P - 20 * FEE
    assert _ledger_rows(state, "did_purchase") == 20
    with state.db.read() as conn:
        completed = conn.execute(
            select(func.count()).select_from(events).where(events.c.type == "job.completed")
        ).scalar_one()
    assert completed == 1


def test_a_destructive_job_over_the_threshold_needs_its_dry_runs_token(
    state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=100_000, release_fee=50)
    owned = IN_NUMBERS[:12]
    stock(state, owned)
    _buy(state, acct, owned)
    body = {"action": "release", "numbers": owned}
    with pytest.raises(ConfirmationRequired):
        _submit(state, acct, body)
    preview = _preview(state, acct, body)
    assert preview.confirmation_required and preview.confirm_token
    assert preview.count == 12 and preview.costs == {"INR": 12 * 50 * P}
    token = preview.confirm_token
    with pytest.raises(ConfirmationInvalid, match="another job"):
        _submit(state, acct, {**body, "numbers": owned[:11], "confirm": token})
    with pytest.raises(ConfirmationInvalid, match="another job"):
        _submit(state, acct, {**body, "params": {"immediate": True}, "confirm": token})
    with pytest.raises(ConfirmationInvalid):
        _submit(state, acct, {**body, "confirm": "garbage"})
    other = make_account(state, balance=0)
    with pytest.raises(ConfirmationInvalid):  # another account: not its token
        _submit(state, other, {"action": "release", "numbers": owned, "confirm": token})
    # the same numbers in another order are the same job
    job = _submit(state, acct, {**body, "numbers": list(reversed(owned)), "confirm": token})
    assert job.progress.total == 12
    # a purchase, or a release of at most the threshold, needs no token
    assert _submit(state, acct, {"action": "release", "numbers": owned[:10]}).progress.total == 10
    # expiry
    fresh = _preview(state, acct, body).confirm_token
    clock.set(clock.now() + timedelta(seconds=state.settings.bulk_confirm_ttl + 1))
    with pytest.raises(ConfirmationInvalid, match="expired"):
        _submit(state, acct, {**body, "confirm": fresh})


def test_dry_run_previews_cost_and_outcomes_and_stores_nothing(state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    wanted = IN_NUMBERS[:3]
    stock(state, wanted[:2], setup_fee=100, monthly_fee=300)
    preview = _preview(state, acct, {"action": "purchase", "numbers": wanted})
    assert preview.count == 3 and not preview.confirmation_required
    assert preview.costs == {"INR": 2 * FEE}
    assert [(i.e164, i.outcome, i.cost_minor) for i in preview.items] == [
        (wanted[0], "succeed", FEE),
        (wanted[1], "succeed", FEE),
        (wanted[2], "fail", 0),
    ]
    assert preview.items[2].error_code == "not_found"
    assert state.bulk_jobs.list_jobs(_account(state, acct)) == []
    assert _balance(state, acct) == 10_000 * P


def test_search_and_limits(state: TestServices) -> None:
    acct = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:8])
    job = _submit(state, acct, {"action": "purchase", "search": {"country": "IN", "limit": 5}})
    assert job.progress.total == 5
    state.jobs.run("bulk")
    assert _get(state, acct, job.id).progress.succeeded == 5
    trunk = state.trunks.create(_actor(acct), _account(state, acct), {"name": "t"})
    mine = _submit(
        state,
        acct,
        {"action": "assign_trunk", "search": {"limit": 50}, "params": {"trunk_id": trunk["id"]}},
    )
    assert mine.progress.total == 5  # the account's own numbers
    state.services.bulk_jobs.max_numbers = 3
    with pytest.raises(BulkJobTooLarge):
        _submit(state, acct, {"action": "purchase", "numbers": IN_NUMBERS[:4]})
    with pytest.raises(BulkJobTooLarge):
        _submit(state, acct, {"action": "purchase", "search": {"limit": 4}})
    for bad in (
        {"action": "sell", "numbers": IN_NUMBERS[:1]},
        {"action": "purchase"},
        {"action": "purchase", "numbers": IN_NUMBERS[:1], "search": {"limit": 1}},
        {"action": "purchase", "numbers": []},
        {"action": "purchase", "numbers": ["not a number"]},
        {"action": "assign_trunk", "numbers": IN_NUMBERS[:1]},
        {"action": "purchase", "search": {}},
        {"action": "purchase", "search": {"limit": 1, "country": "India"}},
        {"action": "purchase", "search": {"limit": 1, "search": "12ab"}},
        {"action": "purchase", "search": {"limit": 1, "exclude": [5]}},
        {"action": "purchase", "numbers": IN_NUMBERS[:1], "dry_run": "yes"},
    ):
        with pytest.raises(InvalidInput):
            _submit(state, acct, bad)
    other = make_account(state)
    theirs = state.trunks.create(_actor(other), _account(state, other), {"name": "theirs"})
    for target in (
        {"action": "assign_trunk", "params": {"trunk_id": theirs["id"]}},
        {"action": "assign_trunk", "params": {"trunk_id": "not-a-uuid"}},
        {"action": "attach_application", "params": {"app_id": "12345"}},
        {"action": "move", "params": {"subaccount": other.auth_id}},
    ):
        with pytest.raises(NotFound):  # a typo fails the request, not every number
            _submit(state, acct, {**target, "numbers": IN_NUMBERS[:1]})
    listed = state.bulk_jobs.list_jobs(_account(state, acct))
    assert {j.id for j in listed} == {job.id, mine.id}


def test_a_job_that_cannot_run_does_not_hold_up_the_others(
    state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    account = _account(state, acct)
    with state.db.write() as conn:  # a damaged job, older than the good one
        conn.execute(
            bulk_jobs.insert().values(
                id="broken",
                account_id=account.id,
                action="purchase",
                params={},
                actor={"kind": "account", "auth_id": acct.auth_id},
                status="pending",
                total=1,
                created_at=clock.now() - timedelta(hours=1),
                updated_at=clock.now() - timedelta(hours=1),
            )
        )
        conn.execute(
            bulk_job_items.insert().values(job_id="broken", seq=0, e164="garbage", status="pending")
        )
    good = _submit(state, acct, {"action": "purchase", "numbers": IN_NUMBERS[:1]})
    report = state.bulk_runner.run()
    assert report.errors == 1 and report.jobs_completed == 1
    assert _get(state, acct, good.id).status == "completed"
    assert _get(state, acct, "broken").progress.pending == 1  # left for a person to look at


def test_unassign_subaccount_job_moves_numbers_back_under_the_use_cases_rules(
    state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=10_000)
    sub = make_sub_account(state, acct)
    owned = IN_NUMBERS[:5]
    stock(state, owned)
    _buy(state, acct, owned)
    account, sub_account = _account(state, acct), _account(state, sub)
    for e in owned[:4]:  # the fifth stays in the main account's pool
        state.moves.assign(_actor(acct), account, from_body(e), sub.auth_id)
    state.locks.set(_actor(acct), account, from_body(owned[0]), locked=True)
    with state.db.write() as conn:  # owned[1] took a call an hour ago: its cool-off runs
        conn.execute(
            numbers.update()
            .where(numbers.c.e164 == owned[1])
            .values(last_call_at=clock.now() - timedelta(hours=1))
        )
    body = {"action": "unassign_subaccount", "numbers": owned}
    expected = [
        (owned[0], "number_locked"),
        (owned[1], "did_cool_off_in_effect"),
        (owned[2], None),
        (owned[3], None),
        (owned[4], "not_found"),
    ]
    preview = _preview(state, acct, body)
    assert [(i.e164, i.error_code) for i in preview.items] == expected
    assert not preview.confirmation_required and preview.costs == {}
    job = _submit(state, acct, body)
    assert job.params == {}
    state.jobs.run("bulk")
    done = _get(state, acct, job.id)
    assert done.status == "completed"
    assert (done.progress.succeeded, done.progress.failed) == (2, 3)
    assert [(r.e164, r.error_code) for r in done.results or []] == expected
    owners = {e: owner for e, (_, owner) in _owner_counts(state, owned).items()}
    assert owners == {
        owned[0]: sub_account.id,
        owned[1]: sub_account.id,
        owned[2]: account.id,
        owned[3]: account.id,
        owned[4]: account.id,
    }
    with state.db.read() as conn:  # the single-number use case's audit rows and events
        moved = conn.execute(
            select(func.count()).select_from(events).where(events.c.type == "number.moved")
        ).scalar_one()
    assert moved == 4 + 2  # four moves to the sub-account, two back
    assert state.jobs.run("bulk").bulk_items == 0  # nothing done twice


def test_unassign_subaccount_job_by_search_token_and_who_may_submit(
    state: TestServices,
) -> None:
    acct = make_account(state, balance=100_000)
    sub = make_sub_account(state, acct)
    owned = IN_NUMBERS[:13]
    stock(state, owned)
    _buy(state, acct, owned)
    account = _account(state, acct)
    for e in owned[:12]:
        state.moves.assign(_actor(acct), account, from_body(e), sub.auth_id)
    # a search picks only the numbers a sub-account holds (not owned[12])
    preview = _preview(state, acct, {"action": "unassign_subaccount", "search": {"limit": 50}})
    assert sorted(i.e164 for i in preview.items) == owned[:12]
    assert preview.confirmation_required and preview.confirm_token
    body = {"action": "unassign_subaccount", "numbers": owned[:12]}
    with pytest.raises(ConfirmationRequired):
        _submit(state, acct, body)
    moved_token = _preview(
        state, acct, {**body, "action": "move", "params": {"subaccount": sub.auth_id}}
    ).confirm_token
    with pytest.raises(ConfirmationInvalid):  # a move's token does not confirm a move back
        _submit(state, acct, {**body, "confirm": moved_token})
    job = _submit(state, acct, {**body, "confirm": preview.confirm_token})
    state.jobs.run("bulk")
    assert _get(state, acct, job.id).progress.succeeded == 12
    assert all(o == account.id for _, o in _owner_counts(state, owned).values())
    with pytest.raises(InvalidInput):  # numbers move back with the parent account
        _submit(state, sub, {"action": "unassign_subaccount", "numbers": owned[:1]})


def test_the_operators_view_lists_every_accounts_jobs(
    state: TestServices, clock: FixedClock
) -> None:
    one = make_account(state, balance=10_000)
    two = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    a = _submit(state, one, {"action": "purchase", "numbers": IN_NUMBERS[:1]})
    state.jobs.run("bulk")
    clock.set(clock.now() + timedelta(seconds=1))
    b = _submit(state, two, {"action": "purchase", "numbers": IN_NUMBERS[1:3]})
    everything = state.bulk_jobs.list_all()
    assert [j.id for j in everything.items] == [b.id, a.id] and everything.total == 2
    assert all(j.results is None for j in everything.items)
    pending = state.bulk_jobs.list_all(status="pending")
    assert [j.id for j in pending.items] == [b.id]
    theirs = state.bulk_jobs.list_all(account=one.auth_id, status="completed")
    assert [(j.id, j.account_auth_id) for j in theirs.items] == [(a.id, one.auth_id)]
    second = state.bulk_jobs.list_all(page=2, per_page=1)
    assert [j.id for j in second.items] == [a.id] and second.total == 2
    assert state.bulk_jobs.list_all(account="MA_NOBODY00").total == 0
    got = state.bulk_jobs.get_any(b.id)
    assert got.account_auth_id == two.auth_id and [r.status for r in got.results or []] == [
        "pending",
        "pending",
    ]
    for bad in ({"status": "failed"}, {"page": 0}, {"per_page": 101}):
        with pytest.raises(InvalidInput):
            state.bulk_jobs.list_all(**bad)
    with pytest.raises(NotFound):
        state.bulk_jobs.get_any("nope")
