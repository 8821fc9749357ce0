"""Numbers as the compatible API shows them: inventory items, owned numbers, pages, release
answers (numbers spec §2, §4.1-4.5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from didstore.domain.lifecycle import NumberState, wire_status
from didstore.services.models import Number
from didstore.wire.format import fee as _fee
from didstore.wire.format import timestamp as _ts
from didstore.wire.format import ts

if TYPE_CHECKING:  # services.numbers records events, whose data this module shapes
    from didstore.services.numbers import CancelRelease, Release


def _capabilities(n: Number) -> dict[str, bool]:
    return {"voice": n.voice, "sms": n.sms, "mms": n.mms, "fax": n.fax}


def inventory_number(n: Number) -> dict[str, Any]:
    """Inventory item: 20 keys; no application, billing, source or trunk keys (§4.1)."""
    return {
        "id": n.id,
        "account_id": "",
        "e164": n.e164,
        "country": n.country,
        "region": n.region,
        "capabilities": _capabilities(n),
        "status": wire_status(n.state),
        "provider": n.provider,
        "setup_fee": _fee(n.setup_fee_minor, n.currency),
        "monthly_fee": _fee(n.monthly_fee_minor, n.currency),
        "currency": n.currency,
        "voice_enabled": n.voice,
        "tags": n.tags,
        "is_blocked": n.state == NumberState.BLOCKED,
        "created_at": _ts(n.created_at),
        "updated_at": _ts(n.updated_at),
        "is_trial_number": n.is_trial_number,
        "minimum_commitment_months": n.minimum_commitment_months,
        "aadhaar_verification_required": n.aadhaar_verification_required,
        "aadhaar_verified": False,
    }


def owned_number(n: Number, *, source: str | None = None) -> dict[str, Any]:
    """The PhoneNumber object (§4.3): 27 keys, ``purchased_at``/``tags``/``region`` never null."""
    purchased = n.purchased_at or n.created_at
    return {
        "id": n.id,
        "account_id": n.owner_auth_id or "",
        "e164": n.e164,
        "country": n.country,
        "region": n.region,
        "capabilities": _capabilities(n),
        "status": wire_status(n.state),
        "provider": n.provider,
        "setup_fee": _fee(n.setup_fee_minor, n.currency),
        "monthly_fee": _fee(n.monthly_fee_minor, n.currency),
        "currency": n.currency,
        "application_id": n.application_id,
        "voice_enabled": n.voice,
        "tags": n.tags,
        "purchased_at": _ts(purchased),
        "is_blocked": n.state == NumberState.BLOCKED,
        "created_at": _ts(n.created_at),
        "updated_at": _ts(n.updated_at),
        "is_trial_number": n.is_trial_number,
        "last_billing_date": ts(n.last_billing_date),
        "next_billing_date": ts(n.next_billing_date),
        "minimum_commitment_months": n.minimum_commitment_months,
        "aadhaar_verification_required": n.aadhaar_verification_required,
        "aadhaar_verified": n.aadhaar_verified,
        "source": source or n.source,
        "released_at": ts(n.released_at),
        "trunk_group_id": n.trunk_id,
    }


def page(items: list[dict[str, Any]], page_no: int, per_page: int, total: int) -> dict[str, Any]:
    return {"items": items, "page": page_no, "per_page": per_page, "total": total}


def owned_page(items: Sequence[Number], page_no: int, per_page: int, total: int) -> dict[str, Any]:
    """The owned-number list (§4.2), from the route and from its fast path alike."""
    return page([owned_number(n) for n in items], page_no, per_page, total)


RELEASE_NOTE = (
    "Number will be in pending_release for 24 hours (cancellable), then quarantined for 45"
    " days before becoming available."
)
IMMEDIATE_NOTE = (
    "Number released immediately; it cannot be restored and is quarantined for 45 days"
    " before becoming available."
)


def release(r: Release, path_auth_id: str) -> dict[str, Any]:
    """Exactly ``cancel_url, cooldown_ends_at, message, note, release_fee, status`` (§4.4)."""
    return {
        "cancel_url": f"/api/v1/account/{path_auth_id}/numbers/{r.number.e164}/cancel-release",
        "cooldown_ends_at": _ts(r.cooldown_ends_at),
        "message": "number released" if r.immediate else "number release initiated",
        "note": IMMEDIATE_NOTE if r.immediate else RELEASE_NOTE,
        "release_fee": _fee(r.fee_minor, r.fee_currency),
        "status": "released" if r.immediate else "pending_release",
    }


def release_quote(r: Release, path_auth_id: str) -> dict[str, Any]:
    """``DELETE …/numbers/{n}?dry_run=true`` (didstore only): the release answer's keys, with
    what it would charge and when it would end, plus ``dry_run: true``; nothing changed."""
    return {
        **release(r, path_auth_id),
        "message": "dry run: the number was not released",
        "dry_run": True,
    }


def cancel_release(c: CancelRelease) -> dict[str, Any]:
    return {
        "currency": c.currency,
        "message": "release cancelled, number restored to active status",
        "refund_amount": _fee(c.refund_minor, c.currency),
        "status": "active",
    }


def stock_number(n: Number) -> dict[str, Any]:
    """A number as the operator's inventory lists it (didstore only): any state, its internal
    ``state`` beside the wire ``status``, and who holds it (``account_id``, empty in stock)."""
    return {
        "id": n.id,
        "e164": n.e164,
        "state": n.state,
        "status": wire_status(n.state),
        "account_id": n.owner_auth_id or "",
        "country": n.country,
        "region": n.region,
        "capabilities": _capabilities(n),
        "provider": n.provider,
        "setup_fee": _fee(n.setup_fee_minor, n.currency),
        "monthly_fee": _fee(n.monthly_fee_minor, n.currency),
        "currency": n.currency,
        "tags": n.tags,
        "is_trial_number": n.is_trial_number,
        "minimum_commitment_months": n.minimum_commitment_months,
        "aadhaar_verification_required": n.aadhaar_verification_required,
        "source": n.source,
        "trunk_group_id": n.trunk_id,
        "application_id": n.application_id,
        "purchased_at": ts(n.purchased_at),
        "next_billing_date": ts(n.next_billing_date),
        "cooldown_ends_at": ts(n.cooldown_ends_at),
        "released_at": ts(n.released_at),
        "created_at": _ts(n.created_at),
        "updated_at": _ts(n.updated_at),
    }
