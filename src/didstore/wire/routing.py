"""Wire shapes for trunks, applications, routing and health (entities spec §1-2; numbers
spec §4.7, §4.10). Exact key sets: the newer SDK rejects extra and missing keys."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from didstore.domain.ids import new_uuid
from didstore.services.calls import Health
from didstore.services.routing import Route

#: Host part of application SIP URIs (``sip:<app_id>@<host>``).
APP_SIP_HOST = "app.didstore.local"

_TRUNK_OPTIONAL = (
    "credential_uuid",
    "primary_uri_uuid",
    "inbound_destination",
    "pii_entity_types",
    "webhook_url",
)


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _app_ts(value: datetime) -> str:
    """Applications use Python's default form: ``2026-04-02 12:11:19.740666+00:00``."""
    return value.strftime("%Y-%m-%d %H:%M:%S.%f+00:00")


def trunk(t: Mapping[str, Any]) -> dict[str, Any]:
    """Create/retrieve/update: exactly 18 keys, none null; write-only fields never echoed."""
    return {
        "trunk_id": t["id"],
        "account_id": t["account_auth_id"],
        "name": t["name"],
        "trunk_domain": t["trunk_domain"],
        "trunk_status": t["trunk_status"],
        "secure": bool(t["secure"]),
        "trunk_direction": t["trunk_direction"],
        "concurrent_calls_limit": int(t["concurrent_calls_limit"]),
        "cps_limit": int(t["cps_limit"]),
        "description": t["description"],
        "transport": t["transport"],
        "recording": bool(t["recording"]),
        "enable_transcription": bool(t["enable_transcription"]),
        "pii_redaction": bool(t["pii_redaction"]),
        "webhook_method": t["webhook_method"],
        "recording_webhook_enabled": bool(t["recording_webhook_enabled"]),
        "created_at": _ts(t["created_at"]),
        "updated_at": _ts(t["updated_at"]),
    }


def trunk_list_item(t: Mapping[str, Any]) -> dict[str, Any]:
    """List items add five optional keys, sent only when set (never ``ipacl_uuid`` or
    ``fallback_uri_uuid``)."""
    item = trunk(t)
    for key in _TRUNK_OPTIONAL:
        if t.get(key):
            item[key] = t[key]
    return item


def trunk_list(items: list[Mapping[str, Any]], limit: int, offset: int, total: int) -> Any:
    return {
        "meta": {"limit": limit, "offset": offset, "total": total},
        "objects": [trunk_list_item(t) for t in items],
    }


def application(a: Mapping[str, Any]) -> dict[str, Any]:
    """The 23-key list item; ``default_number_app`` is stored but never echoed."""
    return {
        "answer_method": a["answer_method"],
        "answer_url": a["answer_url"],
        "app_id": a["id"],
        "app_name": a["app_name"],
        "application_type": a["application_type"],
        "created_at": _app_ts(a["created_at"]),
        "default_app": bool(a["default_app"]),
        "default_endpoint_app": bool(a["default_endpoint_app"]),
        "enabled": bool(a["enabled"]),
        "fallback_answer_url": a["fallback_answer_url"],
        "fallback_method": a["fallback_method"],
        "hangup_method": a["hangup_method"],
        "hangup_url": a["hangup_url"],
        "log_incoming_message": bool(a["log_incoming_message"]),
        "message_method": a["message_method"],
        "message_url": a["message_url"],
        "public_uri": bool(a["public_uri"]),
        "resource_uri": f"/v1/Account/{a['account_auth_id']}/Application/{a['id']}/",
        "sip_transfer_method": "POST",
        "sip_transfer_url": None,
        "sip_uri": f"sip:{a['id']}@{APP_SIP_HOST}",
        "sub_account": a["sub_account"],
        "updated_at": _app_ts(a["updated_at"]),
    }


def application_detail(a: Mapping[str, Any]) -> dict[str, Any]:
    return {"api_id": new_uuid(), **application(a)}


def application_list(
    items: list[Mapping[str, Any]], auth_id: str, limit: int, offset: int, total: int
) -> Any:
    """``meta.next`` is a required string: ``""`` on the last page."""
    base = f"/v1/Account/{auth_id}/Application/"
    following = offset + limit
    return {
        "api_id": new_uuid(),
        "meta": {
            "limit": limit,
            "next": f"{base}?limit={limit}&offset={following}" if following < total else "",
            "offset": offset,
            "previous": (
                f"{base}?limit={limit}&offset={max(offset - limit, 0)}" if offset > 0 else None
            ),
            "total_count": total,
        },
        "objects": [application(a) for a in items],
    }


def app_binding(message: str, e164: str, app: Mapping[str, Any] | None) -> dict[str, Any]:
    return {
        "message": message,
        "number": e164,
        "application": None if app is None else application(app),
    }


def route(r: Route) -> dict[str, Any]:
    return {
        "e164": r.e164,
        "account_id": r.account_id,
        "routable": r.routable,
        "trunk_group_id": r.trunk_group_id,
        "application_id": r.application_id,
        "reason": r.reason,
    }


def health(h: Health) -> dict[str, Any]:
    s = h.summary
    return {
        "e164": h.e164,
        "status": h.status,
        "usage_status": "unrated",
        "is_spam": False,
        "granularity": h.granularity,
        "summary": {
            "period_days": h.days,
            "total_calls": s.total_calls,
            "answered_calls": s.answered_calls,
            "answer_rate": s.answer_rate,
            "total_minutes": s.total_minutes,
            "avg_duration": s.avg_duration,
        },
        "snapshots": [
            {
                "id": snap.id,
                "ts": _ts(snap.bucket.start),
                "total_calls": snap.bucket.total_calls,
                "answered_calls": snap.bucket.answered_calls,
                "failed_calls": snap.bucket.failed_calls,
                "answer_rate": snap.bucket.answer_rate,
                "total_duration": snap.bucket.total_duration,
                "avg_duration": snap.bucket.avg_duration,
                "total_minutes": snap.bucket.total_minutes,
            }
            for snap in h.snapshots
        ],
    }
