"""Operator pages: stock levels (by country and by prefix, as bar charts) and the background
jobs, each run from a confirmation page through ``jobs.run_by`` (audited), its report shown."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import ConsoleRoute, form, render, svc, text, viewer
from didstore.domain.errors import NotFound
from didstore.services.audit_query import AuditFilters
from didstore.services.job_names import JOB_NAMES

router = APIRouter(prefix="/console/operator", route_class=ConsoleRoute, include_in_schema=False)
OPERATOR = "operator"

WHAT_JOBS_DO = {
    "renewals": "charges every billing period that has started and retries suspended numbers",
    "lifecycle": "moves releases past their 24 hours to quarantine, quarantine past 45 days "
    "back to stock, ended grace periods to quarantine, and drops old idempotency keys",
    "reports": "keeps this week's partner renewal reports and tells each account at risk "
    "(a report.renewal_risk event)",
    "all": "runs renewals, then lifecycle, then reports",
}


#: how many past runs the jobs page lists
RUNS_SHOWN = 10


async def _runs(request: Request) -> list[dict[str, Any]]:
    """The latest job runs asked for by someone (the audit log's ``job.run`` rows)."""
    page = await svc(request).audit.list(AuditFilters(action="job.run"), 1, RUNS_SHOWN)
    return list(page.items)


@router.get("/stock")
async def stock(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    levels = await svc(request).overview.stock_levels()
    ctx = {"title": "Stock levels", "levels": levels}
    return render(request, "operator/stock.html", ctx, session=me.session)


@router.get("/jobs")
async def jobs(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    name = request.query_params.get("run", "")
    if name and name not in JOB_NAMES:
        raise NotFound(f"no job {name}")
    ctx = {"title": "Jobs", "jobs": WHAT_JOBS_DO, "confirm": name, "runs": await _runs(request)}
    return render(request, "operator/jobs.html", ctx, session=me.session)


@router.post("/jobs")
async def run_job(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    data = await form(request, me.session)
    name = text(data, "job", 20)
    report = await svc(request).jobs.run_by(me.actor, name)
    ctx = {
        "title": "Jobs",
        "jobs": WHAT_JOBS_DO,
        "report": report.as_dict(),
        "runs": await _runs(request),
    }
    return render(request, "operator/jobs.html", ctx, session=me.session)
