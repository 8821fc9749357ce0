"""JSON Schemas of every body the API sends or reads: the one place they are written.

Each response shape mirrors one function of ``didstore.wire`` (same key set, same types:
``additionalProperties: false`` and every key required unless marked optional), so the
conformance test (``tests/api/test_openapi_conformance.py``) catches a drift either way.
Shapes are written in a compact notation, ``"key:type ..."``:

- ``s`` string, ``i`` integer, ``n`` number (money: integral fees are written as integers),
  ``b`` boolean, ``o`` any object, ``x`` any JSON value, ``@`` the schema given as a keyword
  argument of the same name;
- a trailing ``?`` allows ``null``; a leading ``~`` makes the key optional.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_TYPES: dict[str, Schema] = {
    "s": {"type": "string"},
    "i": {"type": "integer"},
    "n": {"type": "number"},
    "b": {"type": "boolean"},
    "o": {"type": "object"},
    "x": {},
}


def _nullable(schema: Schema) -> Schema:
    if "type" in schema:
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def shape(spec: str, *, open_: bool = False, **nested: Schema) -> Schema:
    """An object schema from ``"key:type ..."`` (module docstring); ``open_`` allows keys
    beyond the listed ones (request bodies: the server ignores unknown keys)."""
    properties: dict[str, Schema] = {}
    required: list[str] = []
    for item in spec.split():
        key, _, kind = item.partition(":")
        optional = key.startswith("~")
        key = key.lstrip("~")
        nullable = kind.endswith("?")
        kind = kind.rstrip("?")
        schema = nested[key] if kind == "@" else dict(_TYPES[kind])
        properties[key] = _nullable(schema) if nullable else schema
        if not optional:
            required.append(key)
    result: Schema = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    if not open_:
        result["additionalProperties"] = False
    return result


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def body(spec: str, **nested: Schema) -> Schema:
    """A JSON request body: the keys the route reads (``"key:type ..."``, all optional, and
    ``null`` is the same as leaving the key out), unknown keys ignored. The server checks each
    value itself and answers 400."""
    items = (f"~{item}" if item.endswith(("?", ":x")) else f"~{item}?" for item in spec.split())
    return shape(" ".join(items), open_=True, **nested)


# -- errors (api/errors.py) -----------------------------------------------------------------
ERRORS: dict[str, Schema] = {
    # {"error": code, "message": text} (+ public extras such as current_balance)
    "ErrorFlat": shape("error:s message:s ~current_balance:x ~requested_amount:x", open_=False),
    # {"error": {"code": status, "message": text}}: the auth gateway (401, 403 mismatch)
    "ErrorNested": shape("error:@", error=shape("code:i message:s")),
    # {"error": text}: cancel-release, and releasing twice
    "ErrorOnly": shape("error:s"),
    "CoolOff": shape("error:s cool_off_until:s cool_off_remaining_seconds:i"),
    "ApplicationNotFound": shape("error:s app_id:s"),
    # the limits' own answers (api/limits.py)
    "RateLimited": shape("error:s message:s retry_after:i"),
    "PayloadTooLarge": shape("error:s message:s max_bytes:i"),
}

# -- numbers (wire/numbers.py) ---------------------------------------------------------------
_CAPS = shape("voice:b sms:b mms:b fax:b")
_INVENTORY = (
    "id:s account_id:s e164:s country:s region:s capabilities:@ status:s provider:s setup_fee:n"
    " monthly_fee:n currency:s voice_enabled:b tags:@ is_blocked:b created_at:s updated_at:s"
    " is_trial_number:b minimum_commitment_months:i aadhaar_verification_required:b"
    " aadhaar_verified:b"
)
_OWNED = (
    "id:s account_id:s e164:s country:s region:s capabilities:@ status:s provider:s setup_fee:n"
    " monthly_fee:n currency:s application_id:s? voice_enabled:b tags:@ purchased_at:s"
    " is_blocked:b created_at:s updated_at:s is_trial_number:b last_billing_date:s?"
    " next_billing_date:s? minimum_commitment_months:i aadhaar_verification_required:b"
    " aadhaar_verified:b source:s released_at:s? trunk_group_id:s?"
)
_TAGS = array({"type": "string"})
_RELEASE = "cancel_url:s cooldown_ends_at:s message:s note:s release_fee:n status:s"


def _page(item: str) -> Schema:
    return shape("items:@ page:i per_page:i total:i", items=array(ref(item)))


NUMBERS: dict[str, Schema] = {
    "InventoryNumber": shape(_INVENTORY, capabilities=_CAPS, tags=_TAGS),
    "PhoneNumber": shape(_OWNED, capabilities=_CAPS, tags=_TAGS),
    "InventoryPage": _page("InventoryNumber"),
    "PhoneNumberPage": _page("PhoneNumber"),
    "Purchase": shape("message:s number:@", number=ref("PhoneNumber")),
    "Release": shape(_RELEASE),
    "ReleaseQuote": shape(_RELEASE + " dry_run:b"),
    "CancelRelease": shape("currency:s message:s refund_amount:n status:s"),
}

# -- accounts and the ledger (wire/accounts.py) ------------------------------------------------
_TRANSACTION = (
    "id:s account_id:s balance_id:s type:s amount:n currency:s description:s reference:s"
    " reference_type:s status:s processed_at:s created_at:s updated_at:s"
)
_SUMMARY = shape(
    "total_transactions:i total_debit:n total_credit:n net_amount:n by_reference_type:@",
    by_reference_type=array(shape("reference_type:s total_debit:n total_credit:n count:i")),
)
_AUTH_ME = (
    "type:s id:s api_id:s name:s email:s phone:s description:s auth_id:s auth_secret:s"
    " auth_token_expire_time:s? country:s timezone:s city:s state:s address:s zip_code:s"
    " company:s account_type:s postpaid:b auto_recharge:b auto_recharge_config:o? enabled:b"
    " carrier_type:s? customer_type:s? credit_limit:n cps_limit:i concurrent_calls_limit:i"
    " base_cps_limit:i base_concurrent_calls_limit:i purchased_cps:i"
    " purchased_concurrent_calls:i risk_rating:n risk_status:s? features:@ ip_auth_enabled:b"
    " ip_whitelist_rules:o allow_aws_ips:b role:s is_active:b is_verified:b"
    " is_trial_account:b created_at:s updated_at:s last_login:s pricing_tier_id:s"
    " pricing_tier:@"
)
_SUB_ACCOUNT = (
    "name:s email:s? phone:s? description:s? permissions:o? rate_limit:i id:s"
    " parent_account_id:s parent_auth_id:s auth_id:s auth_token:s api_id:s email_verified:b"
    " enabled:b created:s modified:s is_active:b created_at:s updated_at:s last_used:s?"
    " account:s resource_uri:s"
)
ACCOUNTS: dict[str, Schema] = {
    "Balance": shape(
        "id:s account_id:s currency:s balance:n reserved_funds:n promotional_balance:n"
        " promotional_reserved_balance:n available_balance:n credit_limit:n is_postpaid:b"
        " credit_limit_type:s low_balance_threshold:n status:s created_at:s updated_at:s"
    ),
    "Balances": shape("balances:@", balances=array(ref("Balance"))),
    "Transaction": shape(_TRANSACTION),
    "TransactionPage": shape(
        "transactions:@ summary:@ total:i page:i per_page:i total_pages:i",
        transactions=array(ref("Transaction")),
        summary=_SUMMARY,
    ),
    "AuthMe": shape(
        _AUTH_ME,
        features=shape("call_queue:b"),
        pricing_tier=shape(
            "id:s name:s description:s currency:s rate_per_minute:n"
            " billing_increment_seconds:i minimum_duration_seconds:i is_active:b is_default:b"
        ),
    ),
    "SubAccount": shape(_SUB_ACCOUNT),
    "SubAccountCreated": shape(
        "message:s sub_account:@ auth_credentials:@ tokens:@",
        sub_account=ref("SubAccount"),
        auth_credentials=shape("auth_id:s auth_token:s"),
        tokens=shape("access_token:s refresh_token:s token_type:s expires_in:i"),
    ),
    "SubAccountList": shape(
        "sub_accounts:@ total:i page:i size:i", sub_accounts=array(ref("SubAccount"))
    ),
    "AccountCredentials": shape(
        "auth_id:s auth_token:s name:s kind:s currency:s release_fee:n created_at:s plivo_auth_id:s"
    ),
    "Credit": shape("transaction:@ balance:n currency:s", transaction=ref("Transaction")),
    "Kyc": shape("auth_id:s aadhaar_verified:b"),
}

# -- trunks, applications, routing, health (wire/routing.py) ----------------------------------
_TRUNK = (
    "trunk_id:s account_id:s name:s trunk_domain:s trunk_status:s secure:b trunk_direction:s"
    " concurrent_calls_limit:i cps_limit:i description:s transport:s recording:b"
    " enable_transcription:b pii_redaction:b webhook_method:s recording_webhook_enabled:b"
    " created_at:s updated_at:s"
)
_APPLICATION = (
    "answer_method:s answer_url:s app_id:s app_name:s application_type:s created_at:s"
    " default_app:b default_endpoint_app:b enabled:b fallback_answer_url:s? fallback_method:s"
    " hangup_method:s hangup_url:s log_incoming_message:b message_method:s message_url:s?"
    " public_uri:b resource_uri:s sip_transfer_method:s sip_transfer_url:s? sip_uri:s"
    " sub_account:s? updated_at:s"
)
_BUCKET = (
    "total_calls:i answered_calls:i failed_calls:i answer_rate:n total_duration:n"
    " avg_duration:n total_minutes:n"
)
ROUTING: dict[str, Schema] = {
    "Trunk": shape(_TRUNK),
    "TrunkListItem": shape(
        _TRUNK + " ~credential_uuid:s ~primary_uri_uuid:s ~inbound_destination:s"
        " ~pii_entity_types:x ~webhook_url:s"
    ),
    "TrunkList": shape(
        "meta:@ objects:@",
        meta=shape("limit:i offset:i total:i"),
        objects=array(ref("TrunkListItem")),
    ),
    "Application": shape(_APPLICATION),
    "ApplicationDetail": shape("api_id:s " + _APPLICATION),
    "ApplicationList": shape(
        "api_id:s meta:@ objects:@",
        meta=shape("limit:i next:s offset:i previous:s? total_count:i"),
        objects=array(ref("Application")),
    ),
    "ApplicationCreated": shape("api_id:s app_id:s message:s"),
    "ApplicationChanged": shape("api_id:s message:s"),
    "ApplicationBinding": shape(
        "message:s number:s application:@", application=_nullable(ref("Application"))
    ),
    "Route": shape("e164:s account_id:s? routable:b trunk_group_id:s? application_id:s? reason:s?"),
    "Health": shape(
        "e164:s status:s usage_status:s is_spam:b granularity:s summary:@ snapshots:@",
        summary=shape(
            "period_days:i total_calls:i answered_calls:i answer_rate:n total_minutes:n"
            " avg_duration:n"
        ),
        snapshots=array(shape("id:s ts:s " + _BUCKET)),
    ),
}

# -- partner API and reports (wire/partner.py) --------------------------------------------------
_CUSTOMER = (
    "name:s email:s phone:s description:s? gstin:s? gst_status:s? tds_enabled:b"
    " tds_percentage:n business_type:s id:s auth_id:s api_id:s account_type:s role:s"
    " postpaid:b address:s? city:s? state:s? timezone:s? country:s zip_code:s? company:s"
    " billing_mode:s auto_recharge:b cash_credits:s cps_limit:i concurrent_calls_limit:i"
    " base_cps_limit:i? base_concurrent_calls_limit:i? purchased_cps:i?"
    " purchased_concurrent_calls:i? is_active:b is_verified:b is_trial_account:b enabled:b"
    " kyc_status:s google_id:s? referral_code:s? referral_disabled:b"
    " custom_referrer_reward_amount:n? custom_referee_reward_amount:n? created_at:s"
    " updated_at:s last_login:s? pricing_tier_id:s pricing_tier:@ partner_id:s"
    " auto_recharge_config:o? resource_uri:s auth_token:s"
)
_CUSTOMER_TIER = (
    "id:s name:s currency:s rate_per_minute:n streaming_rate_per_minute:n"
    " recording_rate_per_minute:n whatsapp_voice_rate:n transcription_rate_per_minute:n"
    " pii_redaction_rate_per_minute:n charge_non_connected_calls:b non_connected_call_fee:n"
    " did_release_fee:n is_active:b is_default:b partner_id:s"
)
_CUSTOMER_TRANSACTION = (
    "id:s account_id:s balance_id:s type:s amount:n currency:s description:s reference:s"
    " status:s processed_at:s created_at:s updated_at:s"
)
_RISK_NUMBER = "e164:s next_billing_date:s? monthly_fee:n renewals_in_window:i"
_RISK = "account_id:s name:s currency:s balance:n due:n shortfall:n"
_COST = "account_id:s name:s currency:s purchases:n rentals:n release_fees:n refunds:n net:n"
PARTNER: dict[str, Schema] = {
    "PartnerProfile": shape(
        "id:s account_id:i name:s slug:s company:s auth_id:s email:s phone:s billing_model:s"
        " is_active:b is_verified:b max_accounts:i can_create_accounts:b"
        " can_create_pricing_tiers:b can_view_cdrs:b can_transfer_balance:b"
        " default_pricing_tier_id:s account_count:i balance:s created_at:s updated_at:s"
    ),
    "Customer": shape(_CUSTOMER, pricing_tier=shape(_CUSTOMER_TIER)),
    "CustomerList": shape("accounts:@ total:i page:i size:i", accounts=array(ref("Customer"))),
    "CustomerCreated": shape(
        "auth_id:s auth_token:s name:s email:s status:s balance:s currency:s country:s created_at:s"
        " plivo_auth_id:s"  # didstore's addition (issue 10): the SDK does not validate this body
    ),
    "Transfer": shape(
        "transaction_id:s from_account:s to_account:s amount:n currency:s description:s?"
        " status:s partner_balance_after:n customer_balance_after:n timestamp:s"
    ),
    "CustomerTransactionPage": shape(
        "transactions:@ summary:@ total:i page:i per_page:i total_pages:i account_auth_id:s",
        transactions=array(shape(_CUSTOMER_TRANSACTION)),
        summary=_SUMMARY,
    ),
    "CustomerNumberPage": shape(
        "items:@ page:i per_page:i total:i account_auth_id:s", items=array(ref("PhoneNumber"))
    ),
    "KeptReports": shape("reports:@", reports=array(shape("period:s generated_at:s report:x"))),
    "RenewalReport": shape(
        "within_days:i accounts:@",
        accounts=array(shape(_RISK + " numbers:@", numbers=array(shape(_RISK_NUMBER)))),
    ),
    "NumberReport": shape("numbers:@ total:i", numbers=array(ref("PhoneNumber"))),
    "CostReport": shape("from:s to:s customers:@", customers=array(shape(_COST))),
}
#: CSV variants (``Accept: text/csv``): a header row, then one line per row.
CSV: Schema = {"type": "string", "description": "RFC 4180 CSV with a header row"}
#: Any other text body (``Op.media``: Prometheus metrics, HTML)
TEXT: Schema = {"type": "string"}

# -- operator API (api/routes/admin.py, operations.py, routing_admin.py) ----------------------
_JOB = (
    "job:s now:s charged:i suspended:i reactivated:i released:i returned_to_inventory:i"
    " grace_expired:i idempotency_keys_expired:i partner_reports:i failed:i charged_minor:@"
    " events_expired:i webhooks_delivered:i webhooks_failed:i reservations_expired:i"
    " bulk_items:i bulk_jobs_completed:i"
)
_CHARGED = {"type": "object", "additionalProperties": {"type": "integer"}}
OPERATOR: dict[str, Schema] = {
    "ServerHealth": shape("status:s ~version:s ~database:s ~test_clock:b"),
    "ImportReport": shape(
        "created:i skipped:i errors:@", errors=array(shape("row:i e164:s? error:s"))
    ),
    "JobReport": shape(_JOB, charged_minor=_CHARGED),
    "ClockMoved": shape(
        "now:s lifecycle:@ jobs:@",
        lifecycle=shape("released:i returned_to_inventory:i"),
        jobs=ref("JobReport"),
    ),
    "AuditPage": shape(
        "meta:@ objects:@",
        meta=shape("page:i per_page:i total:i"),
        objects=array(
            shape(
                "id:x at:s actor_type:s? actor_id:s? credential:s? account_id:s? action:s"
                " entity_type:s? entity_id:s? e164:s? before:x after:x request_id:s?"
                " source_ip:s?"
            )
        ),
    ),
    "StockNumber": shape(
        "id:s e164:s state:s status:s account_id:s country:s region:s capabilities:@"
        " provider:s setup_fee:n monthly_fee:n currency:s tags:@ is_trial_number:b"
        " minimum_commitment_months:i aadhaar_verification_required:b source:s"
        " trunk_group_id:s? application_id:s? purchased_at:s? next_billing_date:s?"
        " cooldown_ends_at:s? released_at:s? created_at:s updated_at:s",
        capabilities=_CAPS,
        tags=_TAGS,
    ),
    "StockPage": shape("objects:@ next_after:s?", objects=array(ref("StockNumber"))),
    "Timeline": shape(
        "e164:s state:s events:@", events=array({"type": "object", "required": ["kind", "at"]})
    ),
    "CallRecorded": shape("e164:s recorded:i last_call_at:s?"),
    "CallBatch": shape(
        "recorded:i rejected:i errors:@",
        errors=array({"type": "object", "required": ["index", "error"]}),
    ),
}

COMPONENTS: dict[str, Schema] = {
    **ERRORS, **NUMBERS, **ACCOUNTS, **ROUTING, **PARTNER, **OPERATOR, "Text": TEXT
}  # fmt: skip

# -- events, webhooks, deletion locks (wire/events.py, wire/webhooks.py, routes/locks.py) ----
_ENDPOINT = (
    "id:s url:s event_types:@ enabled:b disabled_reason:s? failed_deliveries:i"
    " previous_secret_expires_at:s? created_at:s updated_at:s"
)
_TYPES_LIST = array({"type": "string"})
COMPONENTS.update(
    {
        "Event": shape("id:i type:s created_at:s account_id:s? data:o"),
        "EventPage": shape("events:@ next_after:i", events=array(ref("Event"))),
        "Webhook": shape(_ENDPOINT, event_types=_TYPES_LIST),
        "WebhookWithSecret": shape(_ENDPOINT + " secret:s", event_types=_TYPES_LIST),
        "WebhookList": shape("webhooks:@", webhooks=array(ref("Webhook"))),
        "Delivery": shape(
            "id:s event_id:i event_type:s? status:s attempts:i next_attempt_at:s?"
            " last_attempt_at:s? last_status_code:i? last_error:s? attempt_log:@",
            attempt_log=array(shape("at:s status_code:i? error:s? duration_ms:n?")),
        ),
        "DeliveryList": shape("deliveries:@", deliveries=array(ref("Delivery"))),
        "Redelivery": shape("id:s status:s"),
        "Lock": shape("e164:s locked:b locked_at:s? locked_by:s?"),
        "NumberBlock": shape("e164:s status:s is_blocked:b next_billing_date:s?"),
    }
)

# -- reservations (wire/reservations.py, ADR 0022) ----------------------------------------------
_RESERVATION = "id:s account_id:s status:s created_at:s expires_at:s numbers:@"
_RESERVED = array(shape("e164:s status:s"))
COMPONENTS.update(
    {
        "Reservation": shape(_RESERVATION, numbers=_RESERVED),
        "ReservationPage": _page("Reservation"),
        "ReservationPurchase": shape(
            _RESERVATION + " purchased:@ charged:@",
            numbers=_RESERVED,
            purchased=array(ref("PhoneNumber")),
            charged=array(shape("currency:s amount:n")),
        ),
        "ReservationConflict": shape(
            "error:s message:s ~numbers:@ ~status:s", numbers=array({"type": "string"})
        ),
    }
)

# -- bulk jobs (wire/bulk_jobs.py, ADR 0023) ---------------------------------------------------
_BULK_JOB = (
    "id:s account_id:s action:s params:o status:s progress:@ created_at:s updated_at:s"
    " started_at:s? finished_at:s?"
)
_PROGRESS = shape("total:i done:i succeeded:i failed:i cancelled:i pending:i")
_BULK_RESULT = shape("e164:s status:s ~error:s ~message:s")
COMPONENTS.update(
    {
        "BulkJob": shape(_BULK_JOB, progress=_PROGRESS),
        "BulkJobWithResults": shape(
            _BULK_JOB + " results:@", progress=_PROGRESS, results=array(_BULK_RESULT)
        ),
        "BulkJobList": shape("jobs:@", jobs=array(ref("BulkJob"))),
        "BulkJobPage": shape(
            "meta:@ objects:@",
            meta=shape("page:i per_page:i total:i"),
            objects=array(ref("BulkJob")),
        ),
        "BulkJobPreview": shape(
            "dry_run:b account_id:s action:s params:o count:i succeed:i fail:i"
            " total_cost_minor:i? currency:s? costs:@ confirmation_required:b confirm_token:s?"
            " confirm_expires_at:s? items:@",
            costs=array(shape("currency:s amount_minor:i amount:n")),
            items=array(shape("e164:s outcome:s cost_minor:i currency:s? ~error:s ~message:s")),
        ),
    }
)
