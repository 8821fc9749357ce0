"""Wire shapes of the Plivo-compatible facade (``/v1/Account/{auth_id}/…``; ADR 0018).

Numbers are digits without ``+``; money is a string with five decimals in the number's own
currency (an extra ``currency`` key says which: Plivo bills in USD only); lists are
``{api_id, meta{limit, next, offset, previous, total_count}, objects}`` with offset links the
plivo SDK follows; errors are ``{api_id, error}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import phonenumbers

from didstore.domain.ids import new_uuid
from didstore.domain.money import currency, to_fixed
from didstore.services.models import Account, Page
from didstore.services.plivo import PlivoNumber
from didstore.wire.routing import APP_SIP_HOST

#: Plivo shows rates per message or minute; didstore does not rate traffic.
NO_RATE = "0.00000"


def base(alias: str) -> str:
    return f"/v1/Account/{alias}/"


def _money(minor: int, code: str) -> str:
    return to_fixed(minor, currency(code))


def _day(value: datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%d")


def prefix(e164: str) -> str:
    """The area code (or, without one, the first national digits) after the country code."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    national = phonenumbers.national_significant_number(parsed)
    size = phonenumbers.length_of_geographical_area_code(parsed) or min(3, len(national))
    return national[:size]


def _restriction(n: PlivoNumber) -> tuple[str | None, str | None]:
    if n.aadhaar_verification_required:
        return "country-address", "Aadhaar KYC of the account is needed before the number routes"
    return None, None


def search_number(n: PlivoNumber, alias: str) -> dict[str, Any]:
    digits = n.e164[1:]
    restriction, text = _restriction(n)
    return {
        "number": digits,
        "prefix": prefix(n.e164),
        "city": "",
        "country": n.country,
        "region": n.region,
        "rate_center": None,
        "lata": None,
        "type": n.number_type,
        "sub_type": n.number_type,
        "setup_rate": _money(n.setup_fee_minor, n.currency),
        "monthly_rental_rate": _money(n.monthly_fee_minor, n.currency),
        "currency": n.currency,
        "voice_enabled": n.voice,
        "voice_rate": NO_RATE,
        "sms_enabled": n.sms,
        "sms_rate": NO_RATE,
        "mms_enabled": n.mms,
        "mms_rate": NO_RATE,
        "restriction": restriction,
        "restriction_text": text,
        "resource_uri": f"{base(alias)}PhoneNumber/{digits}/",
    }


def owned_number(n: PlivoNumber, alias: str) -> dict[str, Any]:
    """``Number/`` list items and ``Number/{n}/``; ``alias`` is the path's account, ``sub_account``
    the holder's alias when a sub-account holds the number."""
    digits = n.e164[1:]
    return {
        "number": digits,
        "alias": n.alias,
        "sub_account": n.owner_plivo_id if n.owner_kind == "sub" else None,
        "added_on": _day(n.purchased_at),
        "application": (
            f"{base(alias)}Application/{n.application_id}/" if n.application_id else None
        ),
        "carrier": "didstore",
        "country": n.country,
        "region": n.region,
        "city": "",
        "number_type": n.number_type,
        "monthly_rental_rate": _money(n.monthly_fee_minor, n.currency),
        "currency": n.currency,
        "renewal_date": _day(n.next_billing_date),
        "voice_enabled": n.voice,
        "voice_rate": NO_RATE,
        "sms_enabled": n.sms,
        "sms_rate": NO_RATE,
        "mms_enabled": n.mms,
        "mms_rate": NO_RATE,
        "cnam_lookup": "disabled",
        "resource_uri": f"{base(alias)}Number/{digits}/",
    }


def detail(obj: dict[str, Any]) -> dict[str, Any]:
    return {"api_id": new_uuid(), **obj}


def listing(
    objects: Sequence[dict[str, Any]],
    page: Page[Any],
    path: str,
    offset: int,
    params: Mapping[str, str],
) -> dict[str, Any]:
    """Offset links carry the request's filters, so following ``next`` walks the same list."""
    limit = page.per_page

    def link(at: int) -> str:
        return f"{path}?{urlencode({**params, 'limit': limit, 'offset': at})}"

    following = offset + limit
    return {
        "api_id": new_uuid(),
        "meta": {
            "limit": limit,
            "next": link(following) if following < page.total else None,
            "offset": offset,
            "previous": link(max(offset - limit, 0)) if offset > 0 else None,
            "total_count": page.total,
        },
        "objects": list(objects),
    }


def bought(digits: str) -> dict[str, Any]:
    return {
        "api_id": new_uuid(),
        "message": "created",
        "numbers": [{"number": digits, "status": "Success"}],
        "status": "fulfilled",
    }


def changed() -> dict[str, Any]:
    return {"api_id": new_uuid(), "message": "changed"}


def app_created(app_id: str) -> dict[str, Any]:
    return {"api_id": new_uuid(), "app_id": app_id, "message": "created"}


def application(a: Mapping[str, Any], alias: str) -> dict[str, Any]:
    return {
        "app_id": a["id"],
        "app_name": a["app_name"],
        "answer_url": a["answer_url"],
        "answer_method": a["answer_method"],
        "hangup_url": a["hangup_url"],
        "hangup_method": a["hangup_method"],
        "fallback_answer_url": a["fallback_answer_url"] or "",
        "fallback_method": a["fallback_method"],
        "message_url": a["message_url"] or "",
        "message_method": a["message_method"],
        "default_app": bool(a["default_app"]),
        "default_number_app": bool(a["default_number_app"]),
        "default_endpoint_app": bool(a["default_endpoint_app"]),
        "enabled": bool(a["enabled"]),
        "log_incoming_messages": bool(a["log_incoming_message"]),
        "public_uri": bool(a["public_uri"]),
        "sub_account": a["sub_account"],
        "sip_uri": f"sip:{a['id']}@{APP_SIP_HOST}",
        "resource_uri": f"{base(alias)}Application/{a['id']}/",
    }


def error(message: str, **extra: Any) -> dict[str, Any]:
    return {"api_id": new_uuid(), "error": message, **extra}


def subaccount(s: Account, parent_alias: str) -> dict[str, Any]:
    """A sub-account; its token is never shown after creation."""
    return {
        "auth_id": s.plivo_auth_id,
        "auth_token": "<redacted>",
        "didstore_auth_id": s.auth_id,
        "name": s.name,
        "enabled": s.enabled,
        "created": _day(s.created_at),
        "modified": _day(s.updated_at),
        "account": base(parent_alias),
        "resource_uri": f"{base(parent_alias)}Subaccount/{s.plivo_auth_id}/",
    }


def subaccount_created(alias: str, token: str) -> dict[str, Any]:
    return {"api_id": new_uuid(), "auth_id": alias, "auth_token": token, "message": "created"}
