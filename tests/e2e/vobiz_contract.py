"""The Vobiz wire contract as data: the exact key sets (with type codes) of every shape the
newer, Fern-generated Vobiz SDK parses with ``extra="forbid"``. Copied from the specs
(/work/shared/spec/vobiz-numbers-api.md §4.1, §4.3-4.5 and vobiz-entities-api.md §3-5), not
from our code. ``tests/e2e/test_wire_contract.py`` checks live responses against them;
``tests/api/test_openapi.py`` checks the OpenAPI components against them.

Type codes: ``s`` string, ``i`` integer, ``f`` number, ``b`` boolean, ``dt`` RFC 3339
date-time, ``obj`` object, ``list`` list, ``any`` anything; a trailing ``?`` allows null.
"""

from __future__ import annotations

# numbers §4.1 — inventory item, 20 keys (18 required non-null)
INVENTORY_ITEM = {
    "id": "s",
    "account_id": "s",
    "e164": "s",
    "country": "s",
    "capabilities": "caps",
    "status": "s",
    "provider": "s",
    "setup_fee": "i",
    "monthly_fee": "i",
    "currency": "s",
    "voice_enabled": "b",
    "tags": "any?",
    "is_blocked": "b",
    "created_at": "s",
    "updated_at": "s",
    "is_trial_number": "b",
    "minimum_commitment_months": "i",
    "aadhaar_verification_required": "b",
    "aadhaar_verified": "b",
    "region": "s?",
}
# numbers §4.3 (+ entities §7 #3 for requiredness) — PhoneNumber, 27 keys
PHONE_NUMBER = {
    "id": "s",
    "account_id": "s",
    "e164": "s",
    "country": "s",
    "region": "s",
    "capabilities": "caps",
    "status": "s",
    "provider": "s",
    "setup_fee": "i",
    "monthly_fee": "i",
    "currency": "s",
    "application_id": "s?",
    "voice_enabled": "b",
    "tags": "list[s]",
    "purchased_at": "s",
    "is_blocked": "b",
    "created_at": "s",
    "updated_at": "s",
    "is_trial_number": "b",
    "last_billing_date": "s?",
    "next_billing_date": "s?",
    "minimum_commitment_months": "i",
    "aadhaar_verification_required": "b",
    "aadhaar_verified": "b",
    "source": "s",
    "released_at": "s?",
    "trunk_group_id": "s?",
}
CAPABILITIES = {"voice": "b", "sms": "b", "mms": "b", "fax": "b"}
PAGE = {"items": "list", "page": "i", "per_page": "i", "total": "i"}
# numbers §4.4 — unrent, 6 keys
UNRENT = {
    "cancel_url": "s",
    "cooldown_ends_at": "dt",
    "message": "s",
    "note": "s?",
    "release_fee": "f",
    "status": "s",
}
# numbers §4.5 — cancel-release: message and status required, the rest optional
CANCEL_REQUIRED = {"message": "s", "status": "s"}
CANCEL_OPTIONAL = {
    "currency": "s?",
    "refund_amount": "f?",
    "refund_status": "s?",
    "refund_error": "s?",
}
# entities §4 — balance, 15 keys, all required
BALANCE = {
    "id": "s",
    "account_id": "s",
    "currency": "s",
    "balance": "f",
    "reserved_funds": "i",
    "promotional_balance": "i",
    "promotional_reserved_balance": "i",
    "available_balance": "f",
    "credit_limit": "i",
    "is_postpaid": "b",
    "credit_limit_type": "s",
    "low_balance_threshold": "i",
    "status": "s",
    "created_at": "s",
    "updated_at": "s",
}
# entities §4 — transactions
TRANSACTIONS = {
    "transactions": "list",
    "summary": "obj",
    "total": "i",
    "page": "i",
    "per_page": "i",
    "total_pages": "i",
}
TRANSACTION_ROW = {
    "id": "s",
    "account_id": "s",
    "balance_id": "s",
    "type": "s",
    "amount": "f",
    "currency": "s",
    "description": "s",
    "reference": "s",
    "reference_type": "s?",
    "status": "s",
    "processed_at": "s",
    "created_at": "s",
    "updated_at": "s",
}
SUMMARY = {
    "total_transactions": "i",
    "total_debit": "f",
    "total_credit": "i",
    "net_amount": "f",
    "by_reference_type": "list",
}
BY_REFERENCE_TYPE = {"reference_type": "s", "total_debit": "f", "total_credit": "i", "count": "i"}
# entities §5.1 — auth/me, 46 keys (41 required)
AUTH_ME = {
    "type": "s",
    "id": "s",
    "api_id": "s",
    "name": "s",
    "email": "s",
    "phone": "s",
    "description": "s",
    "auth_id": "s",
    "auth_secret": "s",
    "auth_token_expire_time": "any?",
    "country": "s",
    "timezone": "s",
    "city": "s",
    "state": "s",
    "address": "s",
    "zip_code": "s",
    "company": "s",
    "account_type": "s",
    "postpaid": "b",
    "auto_recharge": "b",
    "auto_recharge_config": "any?",
    "enabled": "b",
    "carrier_type": "any?",
    "customer_type": "any?",
    "credit_limit": "i",
    "cps_limit": "i",
    "concurrent_calls_limit": "i",
    "base_cps_limit": "i",
    "base_concurrent_calls_limit": "i",
    "purchased_cps": "i",
    "purchased_concurrent_calls": "i",
    "risk_rating": "i",
    "risk_status": "any?",
    "features": "obj",
    "ip_auth_enabled": "b",
    "ip_whitelist_rules": "obj",
    "allow_aws_ips": "b",
    "role": "s",
    "is_active": "b",
    "is_verified": "b",
    "is_trial_account": "b",
    "created_at": "s",
    "updated_at": "s",
    "last_login": "s",
    "pricing_tier_id": "s",
    "pricing_tier": "obj",
}
PRICING_TIER = {
    "id": "s",
    "name": "s",
    "description": "s",
    "currency": "s",
    "rate_per_minute": "f",
    "billing_increment_seconds": "i",
    "minimum_duration_seconds": "i",
    "is_active": "b",
    "is_default": "b",
}
# entities §3 — the sub-account record, 22 keys (retrieve/update/create shape)
SUB_ACCOUNT = {
    "name": "s",
    "email": "any?",
    "phone": "any?",
    "description": "any?",
    "permissions": "any?",
    "rate_limit": "i",
    "id": "s",
    "parent_account_id": "s",
    "parent_auth_id": "s",
    "auth_id": "s",
    "auth_token": "s",
    "api_id": "s",
    "email_verified": "b",
    "enabled": "b",
    "created": "s",
    "modified": "s",
    "is_active": "b",
    "created_at": "s",
    "updated_at": "s",
    "last_used": "any?",
    "account": "s",
    "resource_uri": "s",
}
SUB_CREATE = {"message": "s", "sub_account": "obj", "auth_credentials": "obj", "tokens": "obj"}
SUB_CREDENTIALS = {"auth_id": "s", "auth_token": "s"}
SUB_TOKENS = {"access_token": "s", "refresh_token": "s", "token_type": "s", "expires_in": "i"}
SUB_LIST = {"sub_accounts": "list", "total": "i", "page": "i", "size": "i"}
SUB_FORBIDDEN = {"kyc_mode", "business_type", "kyc_calls_blocked"}
ERROR_SCHEMA = {"api_id", "error", "message"}  # the purchase error model (numbers §4.2)
