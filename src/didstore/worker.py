"""The background jobs' loop: ``didstore worker`` runs it, and ``didstore serve`` runs it on a
thread of its own (with its own database connections) unless started with ``--no-jobs``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable

from didstore.bootstrap import Services, build
from didstore.clock import Clock
from didstore.config import Settings
from didstore.services.jobs import JobReport

log = logging.getLogger("didstore.worker")


async def run_every(
    settings: Settings,
    clock: Clock | None,
    interval: float,
    stop: threading.Event,
    on_report: Callable[[JobReport], None] | None = None,
    *,
    first_delay: float | None = None,
    once: bool = False,
) -> None:
    """Run every job every ``interval`` seconds (the first run after ``first_delay``,
    default ``interval``) until ``stop`` is set, or once; a failed run is logged and the next
    tick retries (every job is safe to run again).

    Webhooks and bulk jobs also run every ``webhook_interval`` seconds (an event, a job's
    progress should not wait a minute). Webhook delivery runs on a task of its own: an
    attempt may wait up to 30 s for a slow receiver, and one customer's receiver must not
    hold up the bulk jobs, renewals and lifecycle of everyone else."""
    services = build(settings, clock)
    await services.open()
    frequent = settings.webhook_interval > 0 and not once
    hooks = asyncio.create_task(_send_webhooks(services, settings, stop)) if frequent else None
    try:
        next_run = time.monotonic() + (interval if first_delay is None else first_delay)
        next_bulk = time.monotonic()
        while not stop.is_set():
            if frequent and time.monotonic() >= next_bulk:
                next_bulk = time.monotonic() + settings.webhook_interval
                try:
                    await services.bulk_runner.run()
                except Exception:
                    log.exception("bulk jobs failed")
            if time.monotonic() < next_run:
                await asyncio.sleep(min(0.25, next_run - time.monotonic()))
                continue
            next_run = time.monotonic() + interval
            try:
                report = await services.jobs.run("all", skip_webhooks=hooks is not None)
            except Exception:
                log.exception("background jobs failed")
                continue
            if on_report is not None:
                on_report(report)
            if once:
                return
    finally:
        if hooks is not None:
            hooks.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hooks
        await services.close()


async def _send_webhooks(services: Services, settings: Settings, stop: threading.Event) -> None:
    """Fan out and send webhook deliveries every ``webhook_interval`` seconds until ``stop``."""
    while not stop.is_set():
        next_hooks = time.monotonic() + settings.webhook_interval
        try:
            await services.webhook_delivery.run()
        except Exception:
            log.exception("webhook delivery failed")
        while not stop.is_set() and time.monotonic() < next_hooks:
            await asyncio.sleep(min(0.25, next_hooks - time.monotonic()))


class JobThread:
    """The jobs inside the server process, on their own thread and event loop."""

    def __init__(self, settings: Settings, clock: Clock, interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(run_every(settings, clock, interval, self._stop)),
            name="didstore-jobs",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
