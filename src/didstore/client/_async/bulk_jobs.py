"""Bulk jobs (docs/api.md "Bulk jobs"): one action over many numbers, done by the server's
job runner. ``submit`` queues a job, ``preview`` is its dry run (cost, per-number outcome,
and the confirmation token a large release or move needs), ``wait`` polls until it ends.
With the operator token, ``list_all`` pages through every account's jobs, and ``get`` (and
``wait``) with ``auth_id=None`` read any job."""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from didstore.client._async.pager import AsyncPager
from didstore.client._async.runner import Resource
from didstore.client.core import Operation
from didstore.client.models import BulkJob, BulkJobPreview
from didstore.client.ops import account, body, meta_paged, model, models, page_list, seg

#: the operator's view of every account's jobs
ADMIN_PATH = "/api/v1/admin/bulk-jobs"


def _path(auth_id: str) -> str:
    return f"{account(auth_id)}/jobs"


def _job_path(auth_id: str | None, job_id: str) -> str:
    return f"{ADMIN_PATH if auth_id is None else _path(auth_id)}/{seg(job_id)}"


def _job_body(
    action: str,
    numbers: Sequence[str] | None,
    search: Mapping[str, Any] | None,
    params: Mapping[str, Any] | None,
    **extra: Any,
) -> dict[str, Any]:
    return body(
        action=action,
        numbers=list(numbers) if numbers is not None else None,
        search=dict(search) if search is not None else None,
        params=dict(params) if params is not None else None,
        **extra,
    )


class BulkJobs(Resource):
    async def submit(
        self,
        auth_id: str,
        action: str,
        numbers: Sequence[str] | None = None,
        *,
        search: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        confirm: str | None = None,
    ) -> BulkJob:
        """Queue ``action`` (purchase, release, assign_trunk, attach_application, move,
        unassign_subaccount) over ``numbers`` or the first ``search["limit"]`` numbers
        matching ``search``."""
        payload = _job_body(action, numbers, search, params, confirm=confirm)
        return await self._c.request(
            Operation("POST", _path(auth_id), model(BulkJob), json=payload)
        )

    async def preview(
        self,
        auth_id: str,
        action: str,
        numbers: Sequence[str] | None = None,
        *,
        search: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> BulkJobPreview:
        """The dry run: nothing is stored or charged."""
        payload = _job_body(action, numbers, search, params, dry_run=True)
        op = Operation("POST", _path(auth_id), model(BulkJobPreview), json=payload)
        return await self._c.request(op)

    async def get(self, auth_id: str | None, job_id: str) -> BulkJob:
        """One job with its results; ``auth_id=None``: any account's (operator token)."""
        return await self._c.request(Operation("GET", _job_path(auth_id, job_id), model(BulkJob)))

    def list_all(
        self,
        account: str | None = None,
        status: str | None = None,
        *,
        page: int | None = None,
        per_page: int | None = None,
    ) -> AsyncPager[BulkJob]:
        """Every account's jobs, newest first, without results (operator token); ``account``
        (an auth_id) and ``status`` filter."""
        params = {"account": account, "status": status}
        op = page_list(ADMIN_PATH, meta_paged(BulkJob), params, page=page, per_page=per_page)
        return self._c.paginate(op)

    async def list(
        self, auth_id: str, limit: int | None = None, offset: int | None = None
    ) -> builtins.list[BulkJob]:
        """The account's jobs, newest first (without per-number results)."""
        params = {"limit": limit, "offset": offset}
        op = Operation("GET", _path(auth_id), models(BulkJob, "jobs"), params=params)
        return await self._c.request(op)

    async def cancel(self, auth_id: str, job_id: str) -> BulkJob:
        """Pending numbers become ``cancelled``; those already done stay done."""
        path = f"{_path(auth_id)}/{seg(job_id)}/cancel"
        return await self._c.request(Operation("POST", path, model(BulkJob)))

    async def wait(
        self,
        auth_id: str | None,
        job_id: str,
        *,
        interval: float = 1.0,
        timeout: float | None = None,
        progress: Callable[[BulkJob], None] | None = None,
    ) -> BulkJob:
        """Poll ``get`` every ``interval`` seconds until the job has completed or been
        cancelled (``progress`` hears each answer); ``TimeoutError`` after ``timeout``."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = await self.get(auth_id, job_id)
            if progress is not None:
                progress(job)
            if job.finished:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"bulk job {job_id} is still {job.status}")
            await asyncio.sleep(interval)
