"""``didstore bulk …``: bulk jobs over the SDK (docs/api.md "Bulk jobs"), named apart from
the operator's background ``jobs`` group. A job is done by the server's job runner; the CLI
submits it, then (unless ``--no-wait``) polls its progress, with a progress bar on a TTY, and
prints one result per number (exit code 1 when any number failed).

``numbers buy|release --job`` submit the same jobs (``submit_job`` below).

``--operator`` on ``list``, ``show`` and ``wait`` is the operator's view (operator token):
every account's jobs (``list`` filters by the global ``--account`` and by ``--status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from didstore.cli import bulk
from didstore.cli.remote import Remote, command, emit, err, narrate, require_yes
from didstore.client import APIError
from didstore.client.models import BulkJob, BulkJobPreview
from didstore.domain.bulk import ACTIONS

bulk_app = typer.Typer(
    help="Bulk jobs: buy, release, route or move many numbers as one background job.",
    no_args_is_help=True,
)

#: actions that cost money or take numbers away: they run only with --yes
GUARDED = ("purchase", "release", "move", "unassign_subaccount")
JOB_COLUMNS = ["id", "action", "status", "total", "succeeded", "failed", "cancelled"]
Wait = typer.Option(True, "--wait/--no-wait", help="Poll until the job ends and show results.")
Interval = typer.Option(1.0, "--interval", min=0.05, help="Seconds between two polls.")
JobId = typer.Argument(..., help="The job id.")
Operator = typer.Option(
    False, "--operator", help="The operator's view: any account's jobs (operator token)."
)


def _job_row(j: BulkJob) -> list[Any]:
    p = j.progress
    return [j.id, j.action, j.status, p.get("total"), p.get("succeeded"), p.get("failed"),
            p.get("cancelled")]  # fmt: skip


def _show_preview(remote: Remote, preview: BulkJobPreview) -> None:
    rows = [
        [i["e164"], i["outcome"], i.get("cost_minor", 0), i.get("currency") or "",
         i.get("message", "")]
        for i in preview.items
    ]  # fmt: skip
    emit(remote, preview.to_dict(), rows, ["number", "outcome", "cost (minor)", "currency", "why"])
    costs = ", ".join(f"{c['amount']} {c['currency']}" for c in preview.costs) or "nothing"
    narrate(f"dry run: {preview.succeed} would succeed, {preview.fail} would fail; cost {costs}")
    if preview.confirm_token:
        narrate(
            f"this job needs confirmation: add --confirm {preview.confirm_token} "
            f"(valid until {preview.confirm_expires_at})"
        )


def wait_for(remote: Remote, owner: str | None, job: BulkJob, interval: float) -> BulkJob:
    """Poll until the job has ended, with a progress bar on a TTY (``owner`` None: the
    operator's view of any account's job)."""
    show = err.is_terminal and not remote.json
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, disable=not show, transient=True) as progress:
        task = progress.add_task(f"{job.action} job", total=job.progress.get("total", 0))

        def seen(j: BulkJob) -> None:
            progress.update(task, completed=j.progress.get("done", 0))

        return remote.client.bulk_jobs.wait(owner, job.id, interval=interval, progress=seen)


def show_results(remote: Remote, job: BulkJob) -> None:
    """One line per number; exit 1 when any failed."""
    rows = [[r.e164, r.status, r.error or "", r.message or ""] for r in job.results]
    emit(remote, job.to_dict(), rows, ["number", "status", "error", "message"])
    p = job.progress
    narrate(
        f"job {job.id} {job.status}: {p.get('succeeded', 0)} succeeded, "
        f"{p.get('failed', 0)} failed, {p.get('cancelled', 0)} cancelled, "
        f"{p.get('pending', 0)} pending"
    )
    if p.get("failed", 0):
        raise typer.Exit(1)


def submit_job(
    remote: Remote,
    action: str,
    numbers: list[str],
    params: Mapping[str, Any],
    *,
    dry_run: bool,
    confirm: str | None,
    wait: bool,
    interval: float,
) -> None:
    """The dry run's preview, or the job submitted and (``wait``) followed to its end."""
    jobs = remote.client.bulk_jobs
    if dry_run:
        _show_preview(remote, jobs.preview(remote.account, action, numbers, params=params))
        return
    try:
        job = jobs.submit(remote.account, action, numbers, params=params, confirm=confirm)
    except APIError as exc:
        if exc.code == "confirmation_required":
            err.print(
                f"error: {action} of {len(numbers)} numbers needs confirmation: run it with"
                " --dry-run, check the preview, then again with --confirm TOKEN"
            )
            raise typer.Exit(2) from exc
        raise
    if not wait:
        emit(remote, job.to_dict(), [_job_row(job)], JOB_COLUMNS)
        narrate(f"submitted job {job.id}: didstore bulk show {job.id}")
        return
    narrate(f"submitted job {job.id}; waiting for the job runner")
    show_results(remote, wait_for(remote, remote.account, job, interval))


@command(bulk_app, "submit")
def bulk_submit(
    remote: Remote,
    action: str = typer.Argument(..., help=f"One of: {', '.join(ACTIONS)}."),
    numbers: list[str] = typer.Argument(None, help="Numbers (any spelling)."),
    from_file: Path | None = typer.Option(
        None, "--from-file", "-f", help="One number a line ('-' = stdin)."
    ),
    trunk: str | None = typer.Option(None, "--trunk", help="assign_trunk: the trunk id."),
    app: str | None = typer.Option(None, "--app", help="attach_application: the app id."),
    subaccount: str | None = typer.Option(
        None, "--subaccount", help="move: the sub-account's auth id."
    ),
    immediate: bool = typer.Option(False, "--immediate", help="release: no 24 h grace."),
    currency: str | None = typer.Option(None, "--currency", help="purchase: pay in this."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm a billable or destructive job."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Preview cost and outcomes only."),
    confirm: str | None = typer.Option(
        None, "--confirm", help="The dry run's confirmation token (large release or move)."
    ),
    wait: bool = Wait,
    interval: float = Interval,
) -> None:
    """Submit a bulk job over the numbers given (arguments and/or --from-file)."""
    if action not in ACTIONS:
        err.print(f"error: action must be one of {', '.join(ACTIONS)}")
        raise typer.Exit(2)
    wanted = bulk.canonical(bulk.read_numbers(numbers or [], from_file))
    if action in GUARDED:
        require_yes(yes, dry_run, f"a {action} job of {len(wanted)} number(s)")
    params: dict[str, Any] = {
        "trunk_id": trunk,
        "app_id": app,
        "subaccount": subaccount,
        "currency": currency,
        "immediate": immediate if action == "release" else None,
    }
    params = {k: v for k, v in params.items() if v is not None}
    submit_job(
        remote, action, wanted, params, dry_run=dry_run, confirm=confirm, wait=wait,
        interval=interval,
    )  # fmt: skip


def _owner(remote: Remote, operator: bool) -> str | None:
    return None if operator else remote.account


@command(bulk_app, "show")
def bulk_show(remote: Remote, job_id: str = JobId, operator: bool = Operator) -> None:
    """A job's progress and its result per number."""
    show_results(remote, remote.client.bulk_jobs.get(_owner(remote, operator), job_id))


@command(bulk_app, "wait")
def bulk_wait(
    remote: Remote, job_id: str = JobId, interval: float = Interval, operator: bool = Operator
) -> None:
    """Follow a job until it ends, then show its results."""
    owner = _owner(remote, operator)
    job = remote.client.bulk_jobs.get(owner, job_id)
    show_results(remote, wait_for(remote, owner, job, interval))


@command(bulk_app, "list")
def bulk_list(
    remote: Remote,
    limit: int = typer.Option(20, "--limit", "-L", min=1, max=100, help="At most this many."),
    operator: bool = Operator,
    status: str | None = typer.Option(
        None, "--status", help="With --operator: pending, running, completed or cancelled."
    ),
) -> None:
    """The account's jobs, newest first; --operator: every account's (or --account's)."""
    if not operator:
        if status is not None:
            err.print("error: --status works with --operator")
            raise typer.Exit(2)
        jobs = remote.client.bulk_jobs.list(remote.account, limit=limit)
        emit(remote, [j.to_dict() for j in jobs], [_job_row(j) for j in jobs], JOB_COLUMNS)
        return
    pager = remote.client.bulk_jobs.list_all(remote.account_option, status, per_page=limit)
    page = pager.first_page()
    rows = [[j.account_id, *_job_row(j)] for j in page.items]
    emit(remote, [j.to_dict() for j in page.items], rows, ["account", *JOB_COLUMNS])
    narrate(f"{len(page.items)} of {page.total} job(s)")


@command(bulk_app, "cancel")
def bulk_cancel(
    remote: Remote,
    job_id: str = JobId,
    yes: bool = typer.Option(False, "--yes", "-y", help="Confirm the cancellation."),
) -> None:
    """Cancel the job's pending numbers (those already done stay done); needs --yes."""
    require_yes(yes, False, "cancelling a bulk job")
    job = remote.client.bulk_jobs.cancel(remote.account, job_id)
    emit(remote, job.to_dict(), [_job_row(job)], JOB_COLUMNS)
