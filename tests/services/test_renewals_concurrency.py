"""Exactly once under concurrency and crashes: two workers at once, a worker killed midway."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from didstore.clock import FixedClock
from didstore.db.database import open_database
from didstore.domain.billing import add_months
from didstore.services.renewals import RenewalReport, run_renewals
from tests.conftest import IN_NUMBERS, balance, buy, charge_count, make_account, rental_rows, stock
from tests.support import TestServices, kill_when_stalled, stalled_inserts

N = 24


async def _renewals(
    url: str, clock: FixedClock, barrier: threading.Barrier, *, chunk_size: int
) -> RenewalReport:
    """A renewal run with its own connections and event loop, like another worker process;
    all of them start together."""
    db = open_database(url)
    await db.open()
    try:
        barrier.wait()
        return await run_renewals(db, clock, chunk_size=chunk_size)
    finally:
        await db.close()


def _owned(state: TestServices, clock: FixedClock, *, balance_units: int) -> tuple[object, int]:
    acct = make_account(state, balance=balance_units)
    stock(state, IN_NUMBERS[:N], setup_fee=0, monthly_fee=10)
    for e in IN_NUMBERS[:N]:
        buy(state, acct, e)
    clock.set(add_months(clock.now(), 1) + timedelta(minutes=1))
    return acct, balance(state, acct)


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_charge_each_period_once(
    state: TestServices, clock: FixedClock, database_url: str, workers: int
) -> None:
    acct, before = _owned(state, clock, balance_units=10_000)
    barrier = threading.Barrier(workers)
    reports: list[RenewalReport] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            reports.append(asyncio.run(_renewals(database_url, clock, barrier, chunk_size=3)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r.charged for r in reports) == N
    assert sum(r.failed for r in reports) == 0
    assert charge_count(state) == N
    assert len(rental_rows(state)) == N
    assert balance(state, acct) == before - N * 1_000  # type: ignore[arg-type]
    assert state.wallet.verify() == []


def test_concurrent_workers_never_overdraw_a_wallet(
    state: TestServices, clock: FixedClock, database_url: str
) -> None:
    # After buying, the wallet holds exactly 7 months of fees: 7 charged, the rest suspended.
    acct, _ = _owned(state, clock, balance_units=N * 10 + 70)
    barrier = threading.Barrier(3)
    reports: list[RenewalReport] = []

    def work() -> None:
        reports.append(asyncio.run(_renewals(database_url, clock, barrier, chunk_size=2)))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(r.charged for r in reports) == 7
    assert sum(r.suspended for r in reports) == N - 7
    assert balance(state, acct) == 0  # type: ignore[arg-type]
    assert state.wallet.verify() == []


def test_exception_between_chunks_then_rerun_charges_the_rest_once(
    state: TestServices, clock: FixedClock
) -> None:
    acct, before = _owned(state, clock, balance_units=10_000)

    class Crash(Exception):
        pass

    def crash(_r: RenewalReport) -> None:
        raise Crash

    with pytest.raises(Crash):
        state.call(run_renewals, state.adb, clock, chunk_size=5, after_chunk=crash)
    assert charge_count(state) == 5
    report = state.call(run_renewals, state.adb, clock, chunk_size=5)
    assert report.charged == N - 5
    assert charge_count(state) == N and len(rental_rows(state)) == N
    assert balance(state, acct) == before - N * 1_000  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["between", "inside"])
def test_worker_killed_midway_then_rerun_charges_once(
    state: TestServices, clock: FixedClock, database_url: str, mode: str
) -> None:
    acct, before = _owned(state, clock, balance_units=10_000)
    script = Path(__file__).with_name("_worker_killed.py")
    args = [sys.executable, str(script), database_url, clock.now().isoformat(), mode]
    if mode == "between":  # it kills itself once the first chunk committed
        proc = subprocess.run(
            args, capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[2]
        )
        assert proc.returncode == -9, proc.stdout + proc.stderr  # really killed
    else:  # killed inside the second chunk, its charge and ledger rows written
        with stalled_inserts(
            state.db, "ledger_entries", "(SELECT count(*) FROM renewal_charges) > 4"
        ):
            running = subprocess.Popen(
                args,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).parents[2],
            )
            kill_when_stalled(state.db, running, ready="(SELECT count(*) FROM renewal_charges) = 4")
        assert running.returncode == -9
    done = charge_count(state)
    assert done == 4  # the first chunk committed; the killed one left nothing
    assert len(rental_rows(state)) == 4
    assert balance(state, acct) == before - 4 * 1_000  # type: ignore[arg-type]
    report = state.call(run_renewals, state.adb, clock, chunk_size=4)
    assert report.charged == N - 4
    assert charge_count(state) == N and len(rental_rows(state)) == N
    assert balance(state, acct) == before - N * 1_000  # type: ignore[arg-type]
    assert state.wallet.verify() == []
