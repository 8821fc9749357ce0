"""Operator pages: every account, the audit log with filters, and inventory import from a CSV
upload (a dry run that reports every bad row first, then the import itself). The import is
the same service call as ``POST /api/v1/admin/inventory``."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import (
    MAX_FORM_PART,
    PER_PAGE,
    ConsoleRoute,
    form,
    page_number,
    redirect,
    render,
    svc,
    viewer,
)
from didstore.domain.e164 import from_body
from didstore.domain.errors import InvalidInput
from didstore.services.audit_query import AuditFilters
from didstore.services.inventory import read_csv

router = APIRouter(prefix="/console/operator", route_class=ConsoleRoute, include_in_schema=False)
OPERATOR = "operator"


@router.get("")
async def accounts(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    search = request.query_params.get("search", "").strip()[:100]
    result = await svc(request).overview.accounts(
        search=search or None, page=page_number(request), per_page=PER_PAGE
    )
    ctx = {"title": "Accounts", "result": result, "search": search}
    return render(request, "operator/accounts.html", ctx, session=me.session)


def _day(value: str, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value[:10]), time.min, tzinfo=UTC)
    except ValueError:
        raise InvalidInput(f"{name} must be a date such as 2026-03-01") from None


def audit_filters(request: Request) -> tuple[AuditFilters, dict[str, str]]:
    q = request.query_params
    raw = {k: q.get(k, "").strip()[:40] for k in ("e164", "account_id", "from", "to", "action")}
    to_day = _day(raw["to"], "to")
    filters = AuditFilters(
        e164=from_body(raw["e164"]).value if raw["e164"] else None,
        account_id=raw["account_id"] or None,
        from_at=_day(raw["from"], "from"),
        to_at=to_day + timedelta(days=1) if to_day else None,
        action=raw["action"] or None,
    )
    return filters, {k: v for k, v in raw.items() if v}


@router.get("/audit")
async def audit(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    try:
        filters, raw = audit_filters(request)
    except InvalidInput as exc:
        failed = {"title": "Audit log", "raw": dict(request.query_params), "error": exc.message}
        return render(request, "operator/audit.html", failed, 400, session=me.session)
    result = await svc(request).audit.list(filters, page_number(request), PER_PAGE)
    ctx: dict[str, Any] = {"title": "Audit log", "raw": raw, "result": result}
    return render(request, "operator/audit.html", ctx, session=me.session)


@router.get("/inventory")
async def inventory_page(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    return render(
        request, "operator/inventory.html", {"title": "Import inventory"}, session=me.session
    )


@router.post("/inventory")
async def inventory_import(request: Request) -> Response:
    """``step=check`` (an uploaded file): a dry run that changes nothing and shows each bad
    row; ``step=import`` (the checked text, sent back by the confirmation form): the import."""
    me = await viewer(request, OPERATOR)
    data = await form(request, me.session)
    upload = data.get("file")
    if isinstance(upload, UploadFile):
        content = (await upload.read(MAX_FORM_PART + 1)).decode("utf-8-sig", errors="replace")
    else:
        content = str(data.get("csv") or "")
    if not content.strip():
        raise InvalidInput("choose a CSV file to upload")
    if len(content) > MAX_FORM_PART:
        raise InvalidInput("the CSV is larger than 5 MB: split it into several files")
    rows = read_csv(content)
    inventory = svc(request).inventory
    if data.get("step") != "import":
        report = await inventory.import_rows(me.actor, rows, dry_run=True)
        ctx = {"title": "Check the import", "report": report, "csv": content, "rows": len(rows)}
        return render(request, "operator/inventory_check.html", ctx, session=me.session)
    report = await inventory.import_rows(me.actor, rows)
    message = (
        f"Imported {report.created} number(s); {report.skipped} already stocked or repeated; "
        f"{len(report.errors)} row(s) refused."
    )
    return redirect(request, "/console/operator/inventory", message)
