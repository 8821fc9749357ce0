"""``didstore jobs run NAME`` and ``didstore worker``: the background jobs from the CLI.

Several workers may run against one PostgreSQL database: every job step is set-based and
conditional, and renewals are charged once per (number, period) by a unique key.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from typing import Any

import typer

from didstore.cli.common import (
    DatabaseUrl,
    JsonFlag,
    emit_json,
    err,
    in_process,
    load_settings,
    out,
)
from didstore.services.job_names import JOB_NAMES

jobs_app = typer.Typer(help="Background jobs (renewals, lifecycle, reports).", no_args_is_help=True)
log = logging.getLogger("didstore.worker")


def _parse_now(value: str | None, allow_future: bool) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        err.print(f"[red]error:[/red] --now must be an ISO 8601 time, got {value!r}")
        raise typer.Exit(code=2) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when > datetime.now(UTC) and not allow_future:
        err.print(
            "[red]error:[/red] --now is in the future: that would charge renewals early"
            " (pass --allow-future on a test database)"
        )
        raise typer.Exit(code=2)
    return when


def _print(report: dict[str, Any]) -> None:
    """One line: every counter of the report, in its order, ``failed`` last (``returned to
    inventory 2``); the amounts charged per currency are in ``--json``."""
    counters = [
        f"{key.replace('_', ' ')} {value}"
        for key, value in report.items()
        if key not in ("job", "now", "failed", "charged_minor")
    ]
    out.print(
        f"{report['job']} at {report['now']}: {', '.join(counters)}, failed {report['failed']}",
        soft_wrap=True,
    )


@jobs_app.command("run")
def jobs_run(
    name: str = typer.Argument(..., help=f"One of: {', '.join(JOB_NAMES)}"),
    now: str | None = typer.Option(None, "--now", help="Run as of this time (ISO 8601, UTC)."),
    allow_future: bool = typer.Option(
        False, "--allow-future", help="Accept a --now later than the real time (test data)."
    ),
    database_url: str | None = DatabaseUrl,
    json_out: bool = JsonFlag,
) -> None:
    """Run one job now and print its report (exit 1 if any part of it failed)."""
    if name not in JOB_NAMES:
        err.print(f"[red]error:[/red] unknown job {name!r}: use one of {', '.join(JOB_NAMES)}")
        raise typer.Exit(code=2)
    when = _parse_now(now, allow_future)
    from didstore.bootstrap import Services  # the server stack, only when a job runs

    async def work(state: Services) -> dict[str, Any]:
        return (await state.jobs.run(name, when)).as_dict()

    report = in_process(database_url, work)
    if json_out:
        emit_json(report)
    else:
        _print(report)
    if report["failed"]:
        raise typer.Exit(code=1)


def worker(
    interval: float = typer.Option(
        60.0, "--interval", min=1.0, envvar="DIDSTORE_JOB_INTERVAL", help="Seconds between runs."
    ),
    once: bool = typer.Option(False, "--once", help="Run every job once, then exit."),
    database_url: str | None = DatabaseUrl,
) -> None:
    """Run every job (renewals, lifecycle, reports) on a schedule until stopped
    (SIGINT/SIGTERM). Safe to run several at once against one PostgreSQL database."""
    import asyncio

    from didstore.db.engine import default_database_url
    from didstore.db.migrate import migrate
    from didstore.worker import run_every

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = load_settings(database_url=database_url or default_database_url())
    migrate(settings.database_url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    err.print(f"didstore worker: every {interval:g}s")
    asyncio.run(
        run_every(
            settings,
            None,
            interval,
            stop,
            lambda report: log.info("jobs: %s", report.as_dict()),
            first_delay=0.0,
            once=once,
        )
    )
