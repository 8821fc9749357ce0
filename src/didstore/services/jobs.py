"""The background jobs, by name, and the report each returns.

- ``renewals``: charge every billing period that has started (and re-try suspended numbers);
- ``lifecycle``: everything time-driven that is not a renewal: pending releases past their
  24 h -> quarantine, quarantine past 45 days -> inventory, unpaid grace ended ->
  quarantine, idempotency keys past 24 h -> deleted;
- ``reports``: the weekly partner renewal check, kept once per partner and ISO week;
- ``all``: all of them (renewals first, so a number that can be paid is never released).

Every step is set-based and conditional, so several workers on one PostgreSQL database (or
a run repeated after a crash) never apply a change twice. Jobs read time from the clock they
are given (the server's test clock, or ``--now``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from didstore.clock import Clock, FixedClock
from didstore.config import grace_from_env
from didstore.db.engine import Database
from didstore.domain.errors import InvalidInput
from didstore.services.grace import expire_grace
from didstore.services.idempotency import IdempotencyService
from didstore.services.job_names import JOB_NAMES
from didstore.services.lifecycle import run_lifecycle
from didstore.services.renewals import run_renewals
from didstore.services.reports import store_weekly_renewals


@dataclass
class JobReport:
    job: str
    now: datetime
    charged: int = 0
    suspended: int = 0
    reactivated: int = 0
    released: int = 0
    returned_to_inventory: int = 0
    grace_expired: int = 0
    idempotency_keys_expired: int = 0
    partner_reports: int = 0
    failed: int = 0
    charged_minor: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "now": self.now.isoformat().replace("+00:00", "Z"),
            "charged": self.charged,
            "suspended": self.suspended,
            "reactivated": self.reactivated,
            "released": self.released,
            "returned_to_inventory": self.returned_to_inventory,
            "grace_expired": self.grace_expired,
            "idempotency_keys_expired": self.idempotency_keys_expired,
            "partner_reports": self.partner_reports,
            "failed": self.failed,
            "charged_minor": dict(sorted(self.charged_minor.items())),
        }


def run_job(name: str, db: Database, clock: Clock, *, grace: timedelta | None = None) -> JobReport:
    if name not in JOB_NAMES:
        raise InvalidInput(f"unknown job {name!r}: use one of {', '.join(JOB_NAMES)}")
    fixed = FixedClock(clock.now())  # one "now" for every step of this run
    report = JobReport(job=name, now=fixed.now())
    if name in ("renewals", "all"):
        r = run_renewals(db, fixed, grace=grace if grace is not None else grace_from_env())
        report.charged, report.suspended = r.charged, r.suspended
        report.reactivated, report.failed = r.reactivated, r.failed
        report.charged_minor = r.charged_minor
    if name in ("lifecycle", "all"):
        lc = run_lifecycle(db, fixed)
        report.grace_expired = expire_grace(db, fixed)
        report.released = lc.released + report.grace_expired
        report.returned_to_inventory = lc.returned_to_inventory
        # a number released from grace today reaches inventory 45 days later; run again so a
        # clock moved far forward in one step is fully applied
        report.returned_to_inventory += run_lifecycle(db, fixed).returned_to_inventory
        report.idempotency_keys_expired = IdempotencyService(db, fixed).expire()
    if name in ("reports", "all"):
        report.partner_reports = store_weekly_renewals(db, fixed)
    return report
