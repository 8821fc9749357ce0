"""Accounts, wallets and the ledger as the compatible API shows them (entities spec §3-5)."""

from __future__ import annotations

from typing import Any

from didstore.domain.money import currency, to_units
from didstore.services.models import Account, LedgerEntry, Wallet
from didstore.services.wallet import TransactionSummary
from didstore.wire.format import timestamp as _ts


def balance(w: Wallet) -> dict[str, Any]:
    """15 keys (entities §4); a prepaid wallet: no credit, nothing reserved."""
    amount = to_units(w.balance_minor, currency(w.currency))
    return {
        "id": w.id,
        "account_id": w.account_auth_id,
        "currency": w.currency,
        "balance": amount,
        "reserved_funds": 0,
        "promotional_balance": 0,
        "promotional_reserved_balance": 0,
        "available_balance": amount,
        "credit_limit": 0,
        "is_postpaid": False,
        "credit_limit_type": "hard",
        "low_balance_threshold": 0,
        "status": "active",
        "created_at": _ts(w.created_at),
        "updated_at": _ts(w.updated_at),
    }


def transaction(t: LedgerEntry) -> dict[str, Any]:
    """Ledger row, 13 keys; ``reference`` is always a string (PY requires it)."""
    stamp = _ts(t.created_at)
    return {
        "id": t.id,
        "account_id": t.account_auth_id,
        "balance_id": t.wallet_id,
        "type": t.type,
        "amount": to_units(t.amount_minor, currency(t.currency)),
        "currency": t.currency,
        "description": t.description,
        "reference": t.reference,
        "reference_type": t.reference_type,
        "status": t.status,
        "processed_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
    }


def summary(s: TransactionSummary, currency_code: str) -> dict[str, Any]:
    cur = currency(currency_code)
    return {
        "total_transactions": s.total_transactions,
        "total_debit": to_units(s.total_debit_minor, cur),
        "total_credit": to_units(s.total_credit_minor, cur),
        "net_amount": to_units(s.total_credit_minor - s.total_debit_minor, cur),
        "by_reference_type": [
            {
                "reference_type": g.reference_type,
                "total_debit": to_units(g.total_debit_minor, cur),
                "total_credit": to_units(g.total_credit_minor, cur),
                "count": g.count,
            }
            for g in s.by_reference_type
        ],
    }


def auth_me(a: Account) -> dict[str, Any]:
    """``GET /auth/me``: 46 keys (entities §5.1); unknown strings are ``""``."""
    created = _ts(a.created_at)
    return {
        "type": "account",
        "id": str(500000 + a.id),
        "api_id": a.api_id,
        "name": a.name,
        "email": a.email,
        "phone": "",
        "description": "",
        "auth_id": a.auth_id,
        "auth_secret": "<redacted>",
        "auth_token_expire_time": None,
        "country": "",
        "timezone": "UTC",
        "city": "",
        "state": "",
        "address": "",
        "zip_code": "",
        "company": "",
        "account_type": "standard" if a.kind == "main" else "subaccount",
        "postpaid": False,
        "auto_recharge": False,
        "auto_recharge_config": None,
        "enabled": a.enabled,
        "carrier_type": None,
        "customer_type": None,
        "credit_limit": 0,
        "cps_limit": 10,
        "concurrent_calls_limit": 10,
        "base_cps_limit": 10,
        "base_concurrent_calls_limit": 10,
        "purchased_cps": 0,
        "purchased_concurrent_calls": 0,
        "risk_rating": 0,
        "risk_status": None,
        "features": {"call_queue": False},
        "ip_auth_enabled": False,
        "ip_whitelist_rules": {},
        "allow_aws_ips": False,
        "role": "admin" if a.kind == "main" else "user",
        "is_active": a.enabled,
        "is_verified": a.aadhaar_verified,
        "is_trial_account": False,
        "created_at": created,
        "updated_at": _ts(a.updated_at),
        "last_login": created,
        "pricing_tier_id": "default",
        "pricing_tier": {
            "id": "default",
            "name": "default",
            "description": "",
            "currency": a.currency,
            "rate_per_minute": 0,
            "billing_increment_seconds": 60,
            "minimum_duration_seconds": 0,
            "is_active": True,
            "is_default": True,
        },
    }


#: The header that carries an account's Plivo-style alias on the Vobiz-compatible routes whose
#: key sets are fixed (auth/me, sub-accounts: entities spec §3, §5.1; ADR 0018).
PLIVO_AUTH_ID_HEADER = "X-Plivo-Auth-Id"


def plivo_header(a: Account) -> dict[str, str]:
    return {PLIVO_AUTH_ID_HEADER: a.plivo_auth_id}


def sub_account(s: Account, *, for_list: bool = False) -> dict[str, Any]:
    """The 22-key sub-account record; the token is never shown after creation."""
    created = _ts(s.created_at)
    parent = s.parent_auth_id or ""
    record: dict[str, Any] = {
        "name": s.name,
        "email": s.email or None,
        "phone": None,
        "description": None,
        "permissions": None,
        "rate_limit": 1000,
        "id": str(500000 + s.id),
        "parent_account_id": str(500000 + (s.parent_id or 0)),
        "parent_auth_id": parent,
        "auth_id": s.auth_id,
        "auth_token": "<redacted>",
        "api_id": s.api_id,
        "email_verified": False,
        "enabled": s.enabled,
        "created": s.created_at.strftime("%Y-%m-%d"),
        "modified": s.updated_at.strftime("%Y-%m-%d"),
        "is_active": s.enabled,
        "created_at": created,
        "updated_at": _ts(s.updated_at),
        "last_used": None,
        "account": f"/v1/Account/{parent}/",
        "resource_uri": f"/v1/Account/{parent}/Subaccount/{s.auth_id}/",
    }
    if for_list:
        record["permissions"] = None  # list items must carry the key (null allowed)
    return record


def account_credentials(a: Account, token: str) -> dict[str, Any]:
    """Operator API: a new partner or main account, with its token (shown once)."""
    return {
        "auth_id": a.auth_id,
        "auth_token": token,
        "plivo_auth_id": a.plivo_auth_id,
        "name": a.name,
        "kind": a.kind,
        "currency": a.currency,
        "release_fee": to_units(a.release_fee_minor, currency(a.currency)),
        "created_at": _ts(a.created_at),
    }
