"""Prometheus metrics: what the process counts, and the ``/metrics`` exposition.

Two kinds of figures:

- **counted** by the process that sees the event: HTTP requests by route template and
  status with their latency, idempotent replays, job runs and their duration, renewals
  charged and left unpaid. With ``didstore serve --workers N`` every process writes them
  to ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode, set up by
  ``serve`` before this module is imported) and a scrape of any worker adds them up.
- **read from the database** at scrape time, so they are true whichever process changed
  them: available inventory by country and prefix, numbers by state, wallets below the
  low-balance threshold (``services/gauges.py``).

This module is the only one that imports ``prometheus_client``; services report through
plain callbacks wired in the composition root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from didstore.services.gauges import GaugeReadings
from didstore.services.jobs import JobReport

CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_REQUESTS = Counter(
    "didstore_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "didstore_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by method and route template.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
IDEMPOTENT_REPLAYS = Counter(
    "didstore_idempotency_replays",
    "Requests answered from a stored response (same Idempotency-Key, same request).",
)
JOB_RUNS = Counter(
    "didstore_job_runs", "Background job runs, by job and outcome (ok, error).", ["job", "outcome"]
)
JOB_DURATION = Histogram(
    "didstore_job_duration_seconds",
    "How long a background job run took, by job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
)
RENEWALS = Counter(
    "didstore_renewals",
    "Monthly renewals by outcome: charged (paid from the wallet) or unpaid (suspended).",
    ["outcome"],
)


def observe_job(job: str, report: JobReport | None, seconds: float) -> None:
    """The jobs' callback (``Jobs(observe=…)``): a run, its duration and its renewals."""
    JOB_RUNS.labels(job, "ok" if report is not None and not report.failed else "error").inc()
    JOB_DURATION.labels(job).observe(seconds)
    if report is not None:
        if report.charged:
            RENEWALS.labels("charged").inc(report.charged)
        if report.suspended:
            RENEWALS.labels("unpaid").inc(report.suspended)


class _Readings:
    """The database-read gauges of one scrape, as metric families."""

    def __init__(self, readings: GaugeReadings) -> None:
        self.readings = readings

    def collect(self) -> Iterator[Metric]:
        stock = GaugeMetricFamily(
            "didstore_inventory_available",
            "Numbers available to buy, by country and prefix (the first 5 characters of the "
            "E.164 form, e.g. +9180).",
            labels=["country", "prefix"],
        )
        for (country, prefix), count in sorted(self.readings.available.items()):
            stock.add_metric([country, prefix], count)
        states = GaugeMetricFamily(
            "didstore_numbers", "Numbers by lifecycle state.", labels=["state"]
        )
        for state, count in sorted(self.readings.by_state.items()):
            states.add_metric([state], count)
        low = GaugeMetricFamily(
            "didstore_wallets_below_threshold",
            "Wallet balances below the low-balance threshold (DIDSTORE_LOW_BALANCE_MINOR), "
            "by currency.",
            labels=["currency"],
        )
        for currency, count in sorted(self.readings.low_balances.items()):
            low.add_metric([currency], count)
        yield from (stock, states, low)


def _counted() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # every worker's files
        return registry
    return REGISTRY


def exposition(readings: GaugeReadings) -> bytes:
    """The text a scrape receives: this process's (or every worker's) counters, then the
    database readings (two expositions with distinct names make one)."""
    read = CollectorRegistry()
    read.register(_Readings(readings))
    return generate_latest(_counted()) + generate_latest(read)
