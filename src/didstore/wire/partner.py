"""Partner API wire shapes (entities spec §6): exact key sets, strings for money where the
SDK says so (``balance``, ``cash_credits``), integers where it says int."""

from __future__ import annotations

from typing import Any

from didstore.domain.money import currency, to_fixed, to_units
from didstore.services.models import Account, LedgerEntry
from didstore.services.partner import Transfer
from didstore.services.reports import CostLine, RenewalRisk
from didstore.wire.accounts import transaction
from didstore.wire.format import ts


def _ts(value: Any) -> str:
    return ts(value) or ""


def profile(p: Account, balance_minor: int, account_count: int) -> dict[str, Any]:
    """``GET /partner/me``: 21 keys; no ``currency`` key (the SDK forbids it)."""
    return {
        "id": p.api_id,
        "account_id": 500000 + p.id,
        "name": p.name,
        "slug": p.auth_id.lower(),
        "company": p.name,
        "auth_id": p.auth_id,
        "email": p.email,
        "phone": "",
        "billing_model": "direct",
        "is_active": p.enabled,
        "is_verified": True,
        "max_accounts": 0,
        "can_create_accounts": True,
        "can_create_pricing_tiers": False,
        "can_view_cdrs": False,
        "can_transfer_balance": True,
        "default_pricing_tier_id": "default",
        "account_count": account_count,
        "balance": to_fixed(balance_minor, currency(p.currency)),
        "created_at": _ts(p.created_at),
        "updated_at": _ts(p.updated_at),
    }


def customer(a: Account, balance_minor: int, partner: Account) -> dict[str, Any]:
    """A customer account item: the 50 keys of the SDK's model."""
    cur = currency(a.currency)
    return {
        "name": a.name,
        "email": a.email,
        "phone": "",
        "description": None,
        "gstin": None,
        "gst_status": None,
        "tds_enabled": False,
        "tds_percentage": 0,
        "business_type": "private_limited",
        "id": str(500000 + a.id),
        "auth_id": a.auth_id,
        "api_id": a.api_id,
        "account_type": "standard",
        "role": "admin",
        "postpaid": False,
        "address": None,
        "city": None,
        "state": None,
        "timezone": None,
        "country": "",
        "zip_code": None,
        "company": "",
        "billing_mode": "prepaid",
        "auto_recharge": False,
        "cash_credits": to_fixed(balance_minor, cur),
        "cps_limit": 10,
        "concurrent_calls_limit": 10,
        "base_cps_limit": None,
        "base_concurrent_calls_limit": None,
        "purchased_cps": None,
        "purchased_concurrent_calls": None,
        "is_active": a.enabled,
        "is_verified": a.aadhaar_verified,
        "is_trial_account": False,
        "enabled": a.enabled,
        "kyc_status": "verified" if a.aadhaar_verified else "pending",
        "google_id": None,
        "referral_code": None,
        "referral_disabled": True,
        "custom_referrer_reward_amount": None,
        "custom_referee_reward_amount": None,
        "created_at": _ts(a.created_at),
        "updated_at": _ts(a.updated_at),
        "last_login": None,
        "pricing_tier_id": "default",
        "pricing_tier": {
            "id": "default",
            "name": "default",
            "currency": a.currency,
            "rate_per_minute": 0,
            "streaming_rate_per_minute": 0,
            "recording_rate_per_minute": 0,
            "whatsapp_voice_rate": 0,
            "transcription_rate_per_minute": 0,
            "pii_redaction_rate_per_minute": 0,
            "charge_non_connected_calls": False,
            "non_connected_call_fee": 0,
            "did_release_fee": to_units(a.release_fee_minor, cur),
            "is_active": True,
            "is_default": True,
            "partner_id": partner.auth_id,
        },
        "partner_id": partner.auth_id,
        "auto_recharge_config": None,
        "resource_uri": f"/v1/Account/{a.auth_id}/",
        "auth_token": "<redacted>",
    }


def created_customer(a: Account, token: str) -> dict[str, Any]:
    return {
        "auth_id": a.auth_id,
        "auth_token": token,
        "plivo_auth_id": a.plivo_auth_id,  # an untyped body: extra keys are safe (ADR 0018)
        "name": a.name,
        "email": a.email,
        "status": "active",
        "balance": to_fixed(0, currency(a.currency)),
        "currency": a.currency,
        "country": "",
        "created_at": _ts(a.created_at),
    }


def transfer(t: Transfer) -> dict[str, Any]:
    cur = currency(t.currency)
    return {
        "transaction_id": t.transaction_id,
        "from_account": t.partner.auth_id,
        "to_account": t.customer.auth_id,
        "amount": to_units(t.amount_minor, cur),
        "currency": t.currency,
        "description": t.description,
        "status": "completed",
        "partner_balance_after": to_units(t.partner_balance_minor, cur),
        "customer_balance_after": to_units(t.customer_balance_minor, cur),
        "timestamp": _ts(t.at),
    }


def customer_transaction(t: LedgerEntry) -> dict[str, Any]:
    """12 keys: the account ledger row without ``reference_type`` (entities §6.4)."""
    row = transaction(t)
    del row["reference_type"]
    return row


# -- management reports: one shape each, used by the API (JSON/CSV) and `didstore report` ------
def _u(minor: int, code: str) -> int | float:
    return to_units(minor, currency(code))


RENEWAL_COLUMNS = ["account_id", "name", "currency", "balance", "due", "shortfall", "e164",
                   "next_billing_date", "monthly_fee", "renewals_in_window"]  # fmt: skip
COST_COLUMNS = ["account_id", "name", "currency", "purchases", "rentals", "release_fees",
                "refunds", "net"]  # fmt: skip
NUMBER_COLUMNS = ["e164", "account_id", "status", "country", "region", "trunk_group_id",
                  "application_id", "aadhaar_verification_required", "aadhaar_verified",
                  "monthly_fee", "currency", "next_billing_date"]  # fmt: skip


def renewal_risk(r: RenewalRisk) -> dict[str, Any]:
    return {
        "account_id": r.account_auth_id,
        "name": r.account_name,
        "currency": r.currency,
        "balance": _u(r.balance_minor, r.currency),
        "due": _u(r.due_minor, r.currency),
        "shortfall": _u(r.shortfall_minor, r.currency),
        "numbers": [
            {
                "e164": n.e164,
                "next_billing_date": ts(n.next_billing_date),
                "monthly_fee": _u(n.monthly_fee_minor, r.currency),
                "renewals_in_window": n.renewals_in_window,
            }
            for n in r.numbers
        ],
    }


def renewal_rows(risks: list[RenewalRisk]) -> list[dict[str, Any]]:
    """One flat row per number at risk (CSV and tables)."""
    rows: list[dict[str, Any]] = []
    for r in risks:
        head = {k: v for k, v in renewal_risk(r).items() if k != "numbers"}
        rows.extend({**head, **n} for n in renewal_risk(r)["numbers"])
    return rows


def cost_line(c: CostLine) -> dict[str, Any]:
    return {
        "account_id": c.account_auth_id,
        "name": c.account_name,
        "currency": c.currency,
        "purchases": _u(c.purchases_minor, c.currency),
        "rentals": _u(c.rentals_minor, c.currency),
        "release_fees": _u(c.release_fees_minor, c.currency),
        "refunds": _u(c.refunds_minor, c.currency),
        "net": _u(c.net_minor, c.currency),
    }
