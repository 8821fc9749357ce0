"""Bulk jobs and their dry-run preview as the API (and the ``job.*`` events) show them."""

from __future__ import annotations

from typing import Any

from didstore.services.bulk_jobs import BulkJob, Item, Preview, PreviewItem, Progress
from didstore.services.models import Page
from didstore.wire.format import fee, ts


def progress(p: Progress) -> dict[str, int]:
    return {
        "total": p.total,
        "done": p.done,
        "succeeded": p.succeeded,
        "failed": p.failed,
        "cancelled": p.cancelled,
        "pending": p.pending,
    }


def result(item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {"e164": item.e164, "status": item.status}
    if item.error_code is not None:
        out["error"] = item.error_code
        out["message"] = item.error_message or ""
    return out


def job(j: BulkJob) -> dict[str, Any]:
    """One job; ``results`` (one per number, in the order given) only when loaded."""
    out: dict[str, Any] = {
        "id": j.id,
        "account_id": j.account_auth_id,
        "action": j.action,
        "params": j.params,
        "status": j.status,
        "progress": progress(j.progress),
        "created_at": ts(j.created_at),
        "updated_at": ts(j.updated_at),
        "started_at": ts(j.started_at),
        "finished_at": ts(j.finished_at),
    }
    if j.results is not None:
        out["results"] = [result(i) for i in j.results]
    return out


def job_list(jobs: list[BulkJob]) -> dict[str, Any]:
    return {"jobs": [job(j) for j in jobs]}


def job_page(p: Page[BulkJob]) -> dict[str, Any]:
    """The operator's list: ``{meta: {page, per_page, total}, objects}``, as the audit log."""
    return {
        "meta": {"page": p.page, "per_page": p.per_page, "total": p.total},
        "objects": [job(j) for j in p.items],
    }


def preview_item(i: PreviewItem) -> dict[str, Any]:
    out: dict[str, Any] = {
        "e164": i.e164,
        "outcome": i.outcome,
        "cost_minor": i.cost_minor,
        "currency": i.currency,
    }
    if i.error_code is not None:
        out["error"] = i.error_code
        out["message"] = i.error_message or ""
    return out


def preview(p: Preview) -> dict[str, Any]:
    """A dry run: the count, the cost (minor units, and units per currency), each number's
    expected outcome, and the confirmation token when the job needs one."""
    costs = p.costs
    single = next(iter(costs)) if len(costs) == 1 else None
    return {
        "dry_run": True,
        "account_id": p.account_auth_id,
        "action": p.action,
        "params": p.params,
        "count": p.count,
        "succeed": sum(1 for i in p.items if i.outcome == "succeed"),
        "fail": sum(1 for i in p.items if i.outcome == "fail"),
        "total_cost_minor": sum(costs.values()) if len(costs) <= 1 else None,
        "currency": single,
        "costs": [
            {"currency": c, "amount_minor": m, "amount": fee(m, c)} for c, m in costs.items()
        ],
        "confirmation_required": p.confirmation_required,
        "confirm_token": p.confirm_token,
        "confirm_expires_at": ts(p.confirm_expires_at),
        "items": [preview_item(i) for i in p.items],
    }
