"""Webhook endpoints and their delivery log as the API shows them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from didstore.wire.format import ts


def endpoint(row: Mapping[str, Any], *, with_secret: bool = False) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "url": row["url"],
        "event_types": list(row["event_types"]),
        "enabled": bool(row["enabled"]),
        "disabled_reason": row["disabled_reason"],
        "failed_deliveries": row["failed_deliveries"],
        "previous_secret_expires_at": (
            ts(row["previous_secret_until"]) if row.get("previous_secret") else None
        ),
        "created_at": ts(row["created_at"]),
        "updated_at": ts(row["updated_at"]),
    }
    if with_secret:
        out["secret"] = row["secret"]
    return out


def delivery(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "event_id": row["event_id"],
        "event_type": row.get("event_type"),
        "status": row["status"],
        "attempts": row["attempts"],
        "next_attempt_at": ts(row["next_attempt_at"]),
        "last_attempt_at": ts(row["last_attempt_at"]),
        "last_status_code": row["last_status_code"],
        "last_error": row["last_error"],
        "attempt_log": [
            {
                "at": ts(a["at"]),
                "status_code": a["status_code"],
                "error": a["error"],
                "duration_ms": a["duration_ms"],
            }
            for a in row.get("attempt_log", [])
        ],
    }
