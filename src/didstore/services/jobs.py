"""The background jobs, by name, and the report each returns.

- ``renewals``: charge every billing period that has started (and re-try suspended numbers);
- ``lifecycle``: everything time-driven that is not a renewal: pending releases past their
  24 h -> quarantine, quarantine past 45 days -> inventory, unpaid grace ended ->
  quarantine, idempotency keys past 24 h -> deleted, reservations past their expiry ->
  expired (holds cleared), events past their retention window -> deleted;
- ``reports``: the weekly partner renewal check, kept once per partner and ISO week, with a
  ``report.renewal_risk`` event for each account at risk (services/reports.py);
- ``webhooks``: fan new events out to the webhook endpoints and send the deliveries that are
  due (the worker also runs it every ``webhook_interval`` seconds between full runs);
- ``bulk``: the pending items of the bulk jobs (services/bulk_jobs.py, ADR 0023), each
  exactly once (the worker also runs it every ``webhook_interval`` seconds);
- ``all``: all of them (renewals first, so a number that can be paid is never released).

Every step is set-based and conditional, so several workers on one PostgreSQL database (or
a run repeated after a crash) never apply a change twice. Jobs read time from the clock they
are given (the server's test clock, or ``--now``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from didstore.clock import Clock, FixedClock
from didstore.db.database import Database
from didstore.domain.errors import InvalidInput
from didstore.services import audit
from didstore.services.bulk_runner import BulkJobRunner
from didstore.services.event_feed import EventFeed
from didstore.services.grace import expire_grace
from didstore.services.idempotency import IdempotencyService
from didstore.services.job_names import JOB_NAMES
from didstore.services.lifecycle_job import run_lifecycle
from didstore.services.models import Actor
from didstore.services.renewals import run_renewals
from didstore.services.reports import ReportService
from didstore.services.reservations import expire_reservations
from didstore.services.webhook_delivery import WebhookDelivery


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
    events_expired: int = 0
    reservations_expired: int = 0
    webhooks_delivered: int = 0
    webhooks_failed: int = 0
    partner_reports: int = 0
    failed: int = 0
    bulk_items: int = 0
    bulk_jobs_completed: int = 0
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
            "events_expired": self.events_expired,
            "reservations_expired": self.reservations_expired,
            "webhooks_delivered": self.webhooks_delivered,
            "webhooks_failed": self.webhooks_failed,
            "partner_reports": self.partner_reports,
            "failed": self.failed,
            "bulk_items": self.bulk_items,
            "bulk_jobs_completed": self.bulk_jobs_completed,
            "charged_minor": dict(sorted(self.charged_minor.items())),
        }


#: told of every job run: (job name, its report or None when it raised, seconds taken)
JobObserver = Callable[[str, "JobReport | None", float], None]


class Jobs:
    """Runs the background jobs by name, with the services they need."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        grace: timedelta,
        reports: ReportService,
        idempotency: IdempotencyService,
        events: EventFeed,
        webhooks: WebhookDelivery,
        bulk: BulkJobRunner,
        observe: JobObserver | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.grace = grace
        self.reports = reports
        self.idempotency = idempotency
        self.events = events
        self.webhooks = webhooks
        self.observe = observe
        self.bulk = bulk

    async def run(
        self, name: str, now: datetime | None = None, *, skip_webhooks: bool = False
    ) -> JobReport:
        """Run job ``name`` as of ``now`` (default: the clock's now), one instant for every
        step of the run; the observer (metrics) hears of every run, failed ones included.
        ``skip_webhooks``: "all" without the webhook step (the worker sends webhooks on a
        task of their own, so that a slow receiver never holds up the other jobs)."""
        if name not in JOB_NAMES:
            raise InvalidInput(f"unknown job {name!r}: use one of {', '.join(JOB_NAMES)}")
        started = time.monotonic()
        report: JobReport | None = None
        try:
            report = await self._run(name, now, skip_webhooks=skip_webhooks)
            return report
        finally:
            if self.observe is not None:
                self.observe(name, report, time.monotonic() - started)

    async def _run(self, name: str, now: datetime | None, *, skip_webhooks: bool) -> JobReport:
        fixed = FixedClock(now or self.clock.now())
        report = JobReport(job=name, now=fixed.now())
        if name in ("renewals", "all"):
            r = await run_renewals(self.db, fixed, grace=self.grace)
            report.charged, report.suspended = r.charged, r.suspended
            report.reactivated, report.failed = r.reactivated, r.failed
            report.charged_minor = r.charged_minor
        if name in ("lifecycle", "all"):
            lc = await run_lifecycle(self.db, fixed)
            report.grace_expired = await expire_grace(self.db, fixed)
            report.released = lc.released + report.grace_expired
            report.returned_to_inventory = lc.returned_to_inventory
            # a number released from grace today reaches inventory 45 days later; run again so
            # a clock moved far forward in one step is fully applied
            report.returned_to_inventory += (
                await run_lifecycle(self.db, fixed)
            ).returned_to_inventory
            report.idempotency_keys_expired = await self.idempotency.expire(fixed.now())
            report.reservations_expired = await expire_reservations(self.db, fixed.now())
            await self.events.sequence()  # PostgreSQL: number what the jobs just recorded
            report.events_expired = await self.events.purge(fixed.now())
        if name in ("reports", "all"):
            report.partner_reports = await self.reports.store_weekly_renewals(fixed.now())
        if name == "webhooks" or (name == "all" and not skip_webhooks):
            sent = await self.webhooks.run()
            report.webhooks_delivered, report.webhooks_failed = sent.delivered, sent.failed
        if name in ("bulk", "all"):
            done = await self.bulk.run()
            report.bulk_items, report.bulk_jobs_completed = done.processed, done.jobs_completed
        return report

    async def run_by(
        self, actor: Actor, name: str, now: datetime | None = None, *, allow_future: bool = False
    ) -> JobReport:
        """A job run asked for by someone (the operator API): ``now`` may only be in the past
        unless ``allow_future`` (a test clock); the run is recorded in the audit log."""
        if name not in JOB_NAMES:
            raise InvalidInput(f"unknown job {name!r}: use one of {', '.join(JOB_NAMES)}")
        if now is not None:
            if now.tzinfo is None:
                raise InvalidInput("now needs a time zone, e.g. 2026-12-01T00:00:00Z", field="now")
            if now > self.clock.now() and not allow_future:
                raise InvalidInput("now must not be in the future", field="now")
        report = await self.run(name, now)
        async with self.db.write() as conn:
            await audit.record(
                conn,
                actor,
                self.clock.now(),
                action="job.run",
                entity_type="job",
                entity_id=name,
                after=report.as_dict(),
            )
        return report
