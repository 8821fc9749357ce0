"""What every operation answers, keyed by (method, path template): the documentation table
that ``didstore.api.openapi.document`` applies to FastAPI's generated spec.

A new route must get a row here: ``tests/api/test_openapi.py`` fails, naming the missing
``(method, path)`` and this file, until it has one. A row names the success status and its
body (a component of ``shapes.COMPONENTS``, or ``None`` for an empty 204), who may call
(``auth``: the security of the operation and the error statuses that go with it), the
statuses the route's own code raises beyond those, and the request body the route reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from didstore import metrics
from didstore.api.openapi.shapes import Schema, array, body, shape

#: Who may call, and the error statuses any route of that kind can answer:
#: ``account`` (``auth.account_scope``: X-Auth, Bearer account or operator token, Basic),
#: ``partner`` (partner credentials), ``operator`` (the operator's Bearer token),
#: ``caller`` (any authenticated account), ``public`` (no credentials).
AUTH_ERRORS: dict[str, tuple[int, ...]] = {
    "account": (400, 401, 403, 404, 503),
    "partner": (400, 401, 403, 503),
    "operator": (400, 401, 403, 503),
    "caller": (400, 401, 503),
    "public": (),
}

#: Statuses any operation but ``/healthz`` can answer whatever its route (a middleware's: a
#: rate limit's 429, a body cap's 413...). Add them here, with their envelope and headers in
#: ``didstore.api.openapi.DEFAULT_ENVELOPE``/``HEADERS`` if not the flat one.
COMMON_ERRORS: tuple[int, ...] = (408, 413, 429)


@dataclass(frozen=True, slots=True)
class Op:
    status: int  # the success status
    schema: str | tuple[str, ...] | None  # component(s) of the success body; None: no body
    auth: str  # a key of AUTH_ERRORS
    errors: tuple[int, ...] = ()  # statuses the route raises beyond its auth kind's
    body: Schema | None = None  # the request body the route reads (JSON)
    csv: bool = False  # the success body is also served as text/csv (Accept: text/csv)
    #: the success body's media type when it is not JSON (``schema`` then describes the
    #: text, e.g. ``"Text"``): Prometheus metrics, an HTML page
    media: str = "application/json"
    #: status -> extra component(s) the route's error envelope may take at that status
    envelopes: dict[int, tuple[str, ...]] = field(default_factory=dict)
    #: query parameters the route reads by hand (not in its signature)
    query: tuple[tuple[str, str], ...] = ()
    #: the route also reads a ``text/csv`` body or a multipart upload (field ``file``)
    csv_body: bool = False
    #: False: a 503 of this route carries no ``Retry-After`` (the readiness probe)
    retry_after: bool = True
    #: an example request body (the conformance test sends it first)
    example: dict[str, object] | None = None
    #: further success statuses and their component(s): a bulk job's dry run (200) beside
    #: the queued job (202)
    more: dict[int, tuple[str, ...]] = field(default_factory=dict)


ACCOUNT = "/api/v1/Account/{auth_id}"
NUMBER = ACCOUNT + "/numbers/{e164}"
SUB = "/api/v1/accounts/{auth_id}/sub-accounts"
ADMIN = "/api/v1/admin"
RESERVATIONS = ACCOUNT + "/numbers/reservations"
#: a reservation's 409s carry ``numbers`` (numbers_unavailable) or ``status``
_RESERVATION_409: dict[int, tuple[str, ...]] = {409: ("ReservationConflict",)}
PARTNER = "/api/v1/partner"

#: cancel-release answers its flat errors as ``{"error": text}`` (api/errors.ROUTE_ENVELOPES)
_ERROR_ONLY: dict[int, tuple[str, ...]] = {s: ("ErrorOnly",) for s in (400, 403, 404, 409)}
_APP: dict[int, tuple[str, ...]] = {404: ("ApplicationNotFound",)}
_TRUNK_BODY = body(
    "name:s trunk_domain:s trunk_status:s secure:b trunk_direction:s trunk_type:s"
    " concurrent_calls_limit:i max_concurrent_calls:i cps_limit:i description:s transport:s"
    " recording:b enable_transcription:b pii_redaction:b pii_entity_types:x webhook_url:s"
    " webhook_method:s recording_webhook_enabled:b credential_uuid:s primary_uri_uuid:s"
    " inbound_destination:s"
)
_APP_BODY = body(
    "app_name:s name:x answer_url:s answer_method:s application_type:s default_app:b"
    " default_endpoint_app:b default_number_app:b enabled:b fallback_answer_url:s"
    " fallback_method:s hangup_url:s hangup_method:s log_incoming_message:b message_url:s"
    " message_method:s public_uri:b sub_account:s"
)
_SUB_BODY = body("name:s email:s password:x kyc_mode:s business_type:x enabled:b")
#: ``started_at`` (and ``now`` below): RFC 3339 with a zone, or Unix seconds
_CALL = "started_at:x duration_seconds:i answered:b"
_DATES = (("from", "string"), ("to", "string"), ("from_date", "string"), ("to_date", "string"))


def _webhook_rows(base: str, auth: str) -> dict[tuple[str, str], Op]:
    """An account's and the operator's webhook routes answer alike."""
    one = base + "/{webhook_id}"
    return {
        ("POST", base): Op(
            201,
            "WebhookWithSecret",
            auth,
            body=body("url:s event_types:@", event_types=array({"type": "string"})),
            example={"url": "https://example.com/hooks", "event_types": ["number.purchased"]},
        ),
        ("GET", base): Op(200, "WebhookList", auth),
        ("GET", one): Op(200, "Webhook", auth),
        ("DELETE", one): Op(204, None, auth),
        ("POST", one + "/rotate-secret"): Op(
            200, "WebhookWithSecret", auth, body=body("keep_old_seconds:i")
        ),
        ("POST", one + "/enable"): Op(200, "Webhook", auth),
        ("GET", one + "/deliveries"): Op(200, "DeliveryList", auth),
        ("POST", one + "/deliveries/{delivery_id}/redeliver"): Op(202, "Redelivery", auth),
    }


OPERATIONS: dict[tuple[str, str], Op] = {
    ("GET", "/metrics"): Op(200, "Text", "operator", media=metrics.CONTENT_TYPE),
    ("GET", "/healthz"): Op(
        200, "ServerHealth", "public", (503,), envelopes={503: ("ServerHealth",)}, retry_after=False
    ),
    # -- numbers (routes/numbers.py)
    ("GET", ACCOUNT + "/inventory/numbers"): Op(200, "InventoryPage", "account"),
    ("POST", ACCOUNT + "/numbers/purchase-from-inventory"): Op(
        200,
        "Purchase",
        "account",
        (402, 409),
        body("e164:s currency:s"),
        example={"e164": "+919876543210", "currency": "INR"},
    ),
    ("GET", ACCOUNT + "/numbers"): Op(200, "PhoneNumberPage", "account", csv=True),
    ("GET", NUMBER): Op(200, "PhoneNumber", "account"),
    ("DELETE", NUMBER): Op(
        200, ("Release", "ReleaseQuote"), "account", (402,), envelopes={400: ("ErrorOnly",)}
    ),
    ("POST", NUMBER + "/cancel-release"): Op(
        200, "CancelRelease", "account", envelopes=_ERROR_ONLY
    ),
    # -- routing (routes/routing.py)
    ("POST", NUMBER + "/assign"): Op(204, None, "account", body=body("trunk_group_id:s")),
    ("DELETE", NUMBER + "/assign"): Op(204, None, "account"),
    ("POST", NUMBER + "/application"): Op(
        200, "ApplicationBinding", "account", body=body("application_id:s")
    ),
    ("DELETE", NUMBER + "/application"): Op(200, "ApplicationBinding", "account"),
    ("POST", NUMBER + "/assign-subaccount"): Op(
        204, None, "account", body=body("sub_account_id:s")
    ),
    ("DELETE", NUMBER + "/assign-subaccount"): Op(
        204, None, "account", (409,), envelopes={409: ("CoolOff",)}
    ),
    ("GET", NUMBER + "/health"): Op(200, "Health", "account"),
    # -- accounts (routes/accounts.py)
    ("GET", ACCOUNT + "/balance/{currency_code}"): Op(200, "Balance", "account"),
    ("GET", ACCOUNT + "/balances"): Op(200, "Balances", "account"),
    ("GET", ACCOUNT + "/transactions"): Op(200, "TransactionPage", "account", csv=True),
    ("GET", "/api/v1/auth/me"): Op(200, "AuthMe", "caller"),
    ("POST", SUB): Op(
        201, "SubAccountCreated", "account", body=_SUB_BODY, example={"name": "support desk"}
    ),
    ("GET", SUB): Op(200, "SubAccountList", "account"),
    ("GET", SUB + "/{sub_auth_id}"): Op(200, "SubAccount", "account"),
    ("PUT", SUB + "/{sub_auth_id}"): Op(200, "SubAccount", "account", body=_SUB_BODY),
    ("DELETE", SUB + "/{sub_auth_id}"): Op(204, None, "account", (409,)),
    # -- trunks and applications (routes/trunks.py)
    ("GET", ACCOUNT + "/trunks"): Op(200, "TrunkList", "account"),
    ("POST", ACCOUNT + "/trunks"): Op(
        201, "Trunk", "account", body=_TRUNK_BODY, example={"name": "office pbx"}
    ),
    ("GET", ACCOUNT + "/trunks/{trunk_id}"): Op(200, "Trunk", "account"),
    ("PUT", ACCOUNT + "/trunks/{trunk_id}"): Op(200, "Trunk", "account", body=_TRUNK_BODY),
    ("DELETE", ACCOUNT + "/trunks/{trunk_id}"): Op(204, None, "account", (409,)),
    ("GET", ACCOUNT + "/Application"): Op(200, "ApplicationList", "account"),
    ("POST", ACCOUNT + "/Application"): Op(
        201,
        "ApplicationCreated",
        "account",
        body=_APP_BODY,
        example={"app_name": "ivr", "answer_url": "https://example.com/answer"},
    ),
    ("GET", ACCOUNT + "/Application/{app_id}"): Op(
        200, "ApplicationDetail", "account", envelopes=_APP
    ),
    ("POST", ACCOUNT + "/Application/{app_id}"): Op(
        200, "ApplicationChanged", "account", body=_APP_BODY, envelopes=_APP
    ),
    ("DELETE", ACCOUNT + "/Application/{app_id}"): Op(204, None, "account", (409,), envelopes=_APP),
    # -- partner API (routes/partner.py)
    ("GET", PARTNER + "/me"): Op(200, "PartnerProfile", "partner"),
    ("GET", PARTNER + "/accounts"): Op(200, "CustomerList", "partner"),
    ("POST", PARTNER + "/accounts"): Op(
        201,
        "CustomerCreated",
        "partner",
        body=body("name:s email:s phone:s password:s country:s company:s"),
        example={
            "name": "Acme",
            "email": "ops@example.com",
            "phone": "+919800000002",
            "password": "Secret-passw0rd",
            "country": "IN",
        },
    ),
    ("POST", PARTNER + "/accounts/{customer_id}/transfer-balance"): Op(
        200,
        "Transfer",
        "partner",
        (402, 404),
        body("amount:n currency:s description:s"),
        example={"amount": 10, "currency": "INR"},
    ),
    ("GET", PARTNER + "/accounts/{customer_id}/transactions"): Op(
        200, "CustomerTransactionPage", "partner", (404,)
    ),
    ("GET", PARTNER + "/accounts/{customer_id}/numbers"): Op(
        200, "CustomerNumberPage", "partner", (404,)
    ),
    ("GET", PARTNER + "/numbers"): Op(200, "PhoneNumberPage", "partner"),
    ("GET", PARTNER + "/reports/renewals/kept"): Op(200, "KeptReports", "partner"),
    ("GET", PARTNER + "/reports/renewals"): Op(200, "RenewalReport", "partner", csv=True),
    ("GET", PARTNER + "/reports/routing"): Op(200, "NumberReport", "partner", csv=True),
    ("GET", PARTNER + "/reports/kyc"): Op(200, "NumberReport", "partner", csv=True),
    ("GET", PARTNER + "/reports/costs"): Op(200, "CostReport", "partner", csv=True, query=_DATES),
    # -- operator API (routes/admin.py, operations.py, routing_admin.py)
    ("POST", ADMIN + "/partners"): Op(
        201,
        "AccountCredentials",
        "operator",
        body=body("name:s currency:s"),
        example={"name": "reseller", "currency": "INR"},
    ),
    ("POST", ADMIN + "/accounts"): Op(
        201,
        "AccountCredentials",
        "operator",
        (404,),
        body("name:s currency:s partner_id:s release_fee:n email:s"),
        example={"name": "customer", "currency": "INR"},
    ),
    ("POST", ADMIN + "/accounts/{auth_id}/credit"): Op(
        201,
        "Credit",
        "operator",
        (404,),
        body("amount:n currency:s description:s"),
        example={"amount": 100, "currency": "INR"},
    ),
    ("POST", ADMIN + "/accounts/{auth_id}/kyc"): Op(
        200,
        "Kyc",
        "operator",
        (404,),
        body("aadhaar_verified:b"),
        example={"aadhaar_verified": True},
    ),
    ("POST", ADMIN + "/inventory"): Op(
        200,
        "ImportReport",
        "operator",
        body=shape("numbers:@", open_=True, numbers={"type": "array", "items": {}}),
        csv_body=True,
        example={"numbers": [{"e164": "+919876543211", "monthly_fee": 300, "currency": "INR"}]},
    ),
    ("POST", ADMIN + "/jobs/{name}/run"): Op(200, "JobReport", "operator", (404,), shape("~now:x")),
    ("GET", ADMIN + "/audit"): Op(
        200, "AuditPage", "operator", query=(("from", "string"),), csv=True
    ),
    ("GET", ADMIN + "/inventory"): Op(200, "StockPage", "operator", csv=True),
    ("GET", ADMIN + "/numbers/{e164}/timeline"): Op(200, "Timeline", "operator", (404,)),
    ("POST", ADMIN + "/numbers/{e164}/calls"): Op(
        201,
        "CallRecorded",
        "operator",
        (404,),
        body(_CALL),
        example={"duration_seconds": 30, "answered": True},
    ),
    ("POST", ADMIN + "/calls"): Op(
        200,
        "CallBatch",
        "operator",
        # rows that fail their checks are reported by index in ``errors``, not refused
        body=body("calls:@", calls={"type": "array", "items": {}}),
        example={"calls": [{"e164": "+919876543210", "duration_seconds": 5}]},
    ),
    ("GET", ADMIN + "/routes/{e164}"): Op(200, "Route", "operator", (404,)),
    # mounted only with --test-clock
    ("POST", ADMIN + "/clock"): Op(
        200,
        "ClockMoved",
        "operator",
        body=shape("~now:x ~advance_seconds:n?"),
        example={"advance_seconds": 60},
    ),
    # -- events, webhooks, deletion locks (routes/events.py, webhooks.py, locks.py)
    ("GET", ACCOUNT + "/events"): Op(200, "EventPage", "account"),
    ("GET", ADMIN + "/events"): Op(200, "EventPage", "operator"),
    **_webhook_rows(ACCOUNT + "/webhooks", "account"),
    **_webhook_rows(ADMIN + "/webhooks", "operator"),
    ("POST", ADMIN + "/numbers/{e164}/block"): Op(
        200, "NumberBlock", "operator", (404, 409), body=body("reason:s")
    ),
    ("DELETE", ADMIN + "/numbers/{e164}/block"): Op(200, "NumberBlock", "operator", (404, 409)),
    ("GET", NUMBER + "/lock"): Op(200, "Lock", "account"),
    ("POST", NUMBER + "/lock"): Op(200, "Lock", "account", (400,)),
    ("DELETE", NUMBER + "/lock"): Op(200, "Lock", "account", (400,)),
    # -- reservations (routes/reservations.py, ADR 0022)
    ("POST", RESERVATIONS): Op(
        201,
        "Reservation",
        "account",
        (409,),
        body("numbers:x ttl_seconds:i"),
        envelopes=_RESERVATION_409,
        example={"numbers": ["+919876543210"], "ttl_seconds": 900},
    ),
    ("GET", RESERVATIONS): Op(200, "ReservationPage", "account"),
    ("GET", RESERVATIONS + "/{reservation_id}"): Op(200, "Reservation", "account"),
    ("DELETE", RESERVATIONS + "/{reservation_id}"): Op(
        200, "Reservation", "account", (409,), envelopes=_RESERVATION_409
    ),
    ("POST", RESERVATIONS + "/{reservation_id}/extend"): Op(
        200,
        "Reservation",
        "account",
        (409,),
        body("ttl_seconds:i"),
        envelopes=_RESERVATION_409,
        example={"ttl_seconds": 600},
    ),
    ("POST", RESERVATIONS + "/{reservation_id}/purchase"): Op(
        200, "ReservationPurchase", "account", (402, 409), envelopes=_RESERVATION_409
    ),
    # -- bulk jobs (routes/bulk_jobs.py, ADR 0023)
    ("POST", ACCOUNT + "/jobs"): Op(
        202,
        "BulkJob",
        "account",
        (422, 428),
        body=body(
            "action:s numbers:@ search:o params:o dry_run:b confirm:s",
            numbers={"type": "array", "items": {"type": "string"}},
        ),
        more={200: ("BulkJobPreview",)},
        example={"action": "purchase", "numbers": ["+919876543210"], "dry_run": True},
    ),
    ("GET", ACCOUNT + "/jobs"): Op(
        200, "BulkJobList", "account", query=(("limit", "integer"), ("offset", "integer"))
    ),
    ("GET", ACCOUNT + "/jobs/{job_id}"): Op(200, "BulkJobWithResults", "account"),
    ("POST", ACCOUNT + "/jobs/{job_id}/cancel"): Op(200, "BulkJob", "account"),
    ("GET", ADMIN + "/bulk-jobs"): Op(200, "BulkJobPage", "operator"),
    ("GET", ADMIN + "/bulk-jobs/{job_id}"): Op(200, "BulkJobWithResults", "operator", (404,)),
}
