"""Customer pages for bulk jobs (ADR 0023): the account's jobs, and one job with its result
per number and, while numbers are pending, a cancel button. Jobs are submitted through the
API, the SDK or the CLI (``didstore bulk``); the job runner does them."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import ConsoleRoute, form, redirect, render, svc, viewer

router = APIRouter(prefix="/console/bulk", route_class=ConsoleRoute, include_in_schema=False)
CUSTOMER = "customer"
SHOWN = 50


@router.get("")
async def jobs(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    listed = await svc(request).bulk_jobs.list_jobs(me.customer, limit=SHOWN)
    ctx = {"title": "Bulk jobs", "jobs": listed, "shown": SHOWN}
    return render(request, "customer/bulk_jobs.html", ctx, session=me.session)


@router.get("/{job_id}")
async def job(request: Request, job_id: str) -> Response:
    me = await viewer(request, CUSTOMER)
    found = await svc(request).bulk_jobs.get(me.customer, job_id)
    ctx = {"title": f"Bulk job {found.id[:8]}", "job": found}
    return render(request, "customer/bulk_job.html", ctx, session=me.session)


@router.post("/{job_id}/cancel")
async def cancel(request: Request, job_id: str) -> Response:
    me = await viewer(request, CUSTOMER)
    await form(request, me.session)
    done = await svc(request).bulk_jobs.cancel(me.actor, me.customer, job_id)
    p = done.progress
    message = (
        f"Cancelled: {p.cancelled} number(s) will not be done; "
        f"{p.succeeded} succeeded and {p.failed} failed before that."
    )
    return redirect(request, f"/console/bulk/{done.id}", message)
