"""Bulk jobs (ADR 0023, docs/api.md "Bulk jobs"): one action over many numbers, queued for
the job runner. ``POST …/jobs`` answers 202 with the job (or, with ``dry_run``, 200 with the
cost preview and the confirmation token a large release or move needs); ``GET …/jobs/{id}``
shows progress and a result per number; ``POST …/jobs/{id}/cancel`` stops what is pending.

``admin_router``: the operator's view of every account's jobs, ``GET /api/v1/admin/bulk-jobs``
(filters ``account``, ``status``; ``page``/``per_page``) and ``GET …/bulk-jobs/{id}``. Apart
from ``/api/v1/admin/jobs/{name}/run``, which runs a *background* job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.responses import Response

from didstore.api.auth import account_scope, require_operator
from didstore.api.deps import services
from didstore.api.params import paging
from didstore.api.responses import JSON
from didstore.services.bulk_jobs import Preview
from didstore.wire import bulk_jobs as wire

router = APIRouter(prefix="/api/v1/Account/{auth_id}/jobs", tags=["bulk jobs"])
admin_router = APIRouter(prefix="/api/v1/admin/bulk-jobs", tags=["operator"])

JsonObject = Annotated[dict[str, Any] | None, Body()]
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid action, numbers, search or params; too many numbers"},
    401: {"description": "Missing or wrong credentials"},
    403: {"description": "Another account's jobs"},
    404: {"description": "No such job"},
    409: {"description": "bulk_job_finished: the job has already completed or been cancelled"},
    422: {"description": "confirmation_invalid: a wrong, expired or other job's token"},
    428: {"description": "confirmation_required: a large release or move needs its token"},
}


@router.post(
    "",
    summary="Submit a bulk job (or preview it with dry_run)",
    status_code=202,
    responses={**ERRORS, 200: {"description": "The dry run's cost preview"}},
)
async def submit_job(request: Request, auth_id: str, body: JsonObject = None) -> Response:
    """``{action, numbers | search, params?, dry_run?, confirm?}`` → 202 with the job, done
    in the background; ``dry_run: true`` → 200 with the preview, nothing stored."""
    scope = await account_scope(request, auth_id)
    out = await services(request).bulk_jobs.submit(scope.actor, scope.account, body or {})
    if isinstance(out, Preview):
        return JSON(wire.preview(out))
    return JSON(wire.job(out), 202)


@router.get("", summary="The account's bulk jobs, newest first", responses=ERRORS)
async def list_jobs(request: Request, auth_id: str, limit: int = 20, offset: int = 0) -> Response:
    scope = await account_scope(request, auth_id)
    jobs = await services(request).bulk_jobs.list_jobs(scope.account, limit=limit, offset=offset)
    return JSON(wire.job_list(jobs))


@router.get("/{job_id}", summary="One bulk job with a result per number", responses=ERRORS)
async def get_job(request: Request, auth_id: str, job_id: str) -> Response:
    scope = await account_scope(request, auth_id)
    return JSON(wire.job(await services(request).bulk_jobs.get(scope.account, job_id)))


@router.post("/{job_id}/cancel", summary="Cancel a bulk job's pending numbers", responses=ERRORS)
async def cancel_job(request: Request, auth_id: str, job_id: str) -> Response:
    scope = await account_scope(request, auth_id)
    job = await services(request).bulk_jobs.cancel(scope.actor, scope.account, job_id)
    return JSON(wire.job(job))


@admin_router.get("", summary="Every account's bulk jobs, newest first (operator)")
async def admin_list_jobs(
    request: Request,
    account: str | None = None,
    status: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
) -> Response:
    """``account`` (an auth_id: that account's own jobs) and ``status`` (pending, running,
    completed, cancelled) filter; ``page`` and ``per_page`` (20, at most 100) page."""
    await require_operator(request)
    p = paging(page, per_page, default=20, maximum=100)
    result = await services(request).bulk_jobs.list_all(
        account=account or None, status=status or None, page=p.page, per_page=p.per_page
    )
    return JSON(wire.job_page(result))


@admin_router.get("/{job_id}", summary="One bulk job of any account, with its results")
async def admin_get_job(request: Request, job_id: str) -> Response:
    await require_operator(request)
    return JSON(wire.job(await services(request).bulk_jobs.get_any(job_id)))
