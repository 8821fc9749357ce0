"""Typed response objects. Each keeps the exact wire dict in ``raw`` (``to_dict()``) and the
HTTP metadata of the answer in ``http`` (status code, headers, request id).

Fields missing from an answer default to ``None``/empty rather than failing, so a newer
server that adds keys or an older one that lacks some never breaks a caller.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Self, TypeVar

import httpx


@dataclass(frozen=True, slots=True)
class ResponseInfo:
    """What the HTTP answer said besides its body."""

    status_code: int
    headers: httpx.Headers

    @property
    def request_id(self) -> str | None:
        value: str | None = self.headers.get("x-request-id")
        return value


@dataclass(kw_only=True)
class Model:
    """Base of every response object."""

    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    http: ResponseInfo | None = field(default=None, repr=False, compare=False)

    #: nested keys converted to models: key -> model class (lists are converted item-wise)
    _nested: ClassVar[dict[str, type[Model]]] = {}

    @classmethod
    def from_dict(cls, data: Any, http: ResponseInfo | None = None) -> Self:
        if not isinstance(data, dict):
            data = {}
        names = {f.name for f in dataclasses.fields(cls) if f.name not in ("raw", "http")}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in names:
                continue
            nested = cls._nested.get(key)
            if nested is not None and isinstance(value, dict):
                value = nested.from_dict(value)
            elif nested is not None and isinstance(value, list):
                value = [nested.from_dict(v) for v in value]
            values[key] = value
        return cls(**values, raw=data, http=http)

    def to_dict(self) -> dict[str, Any]:
        """The wire dict exactly as the server sent it."""
        return dict(self.raw)


@dataclass(kw_only=True)
class Ack(Model):
    """An answer without a body (``204``): the change was applied."""

    ok: bool = True


@dataclass(kw_only=True)
class Capabilities(Model):
    voice: bool = False
    sms: bool = False
    mms: bool = False
    fax: bool = False


@dataclass(kw_only=True)
class InventoryNumber(Model):
    """A number in stock (numbers spec §4.1). Buying it debits ``setup_fee + monthly_fee``."""

    _nested: ClassVar[dict[str, type[Model]]] = {"capabilities": Capabilities}
    id: str = ""
    account_id: str = ""
    e164: str = ""
    country: str = ""
    region: str | None = None
    capabilities: Capabilities | None = None
    status: str = ""
    provider: str = ""
    setup_fee: float = 0
    monthly_fee: float = 0
    currency: str = ""
    voice_enabled: bool = False
    tags: Any = None
    is_blocked: bool = False
    created_at: str = ""
    updated_at: str = ""
    is_trial_number: bool = False
    minimum_commitment_months: int = 0
    aadhaar_verification_required: bool = False
    aadhaar_verified: bool = False

    @property
    def upfront_cost(self) -> float:
        """What a purchase debits now: the setup fee plus the first month."""
        return self.setup_fee + self.monthly_fee


@dataclass(kw_only=True)
class PhoneNumber(InventoryNumber):
    """An owned number, the PhoneNumber object (numbers spec §4.3)."""

    application_id: str | None = None
    purchased_at: str = ""
    last_billing_date: str | None = None
    next_billing_date: str | None = None
    source: str = ""
    released_at: str | None = None
    trunk_group_id: str | None = None


@dataclass(kw_only=True)
class PurchaseResult(Model):
    _nested: ClassVar[dict[str, type[Model]]] = {"number": PhoneNumber}
    message: str = ""
    number: PhoneNumber | None = None


@dataclass(kw_only=True)
class ReleaseResult(Model):
    """A release: ``pending_release`` for 24 h (cancellable) unless ``immediate``."""

    cancel_url: str = ""
    cooldown_ends_at: str = ""
    message: str = ""
    note: str | None = None
    release_fee: float = 0
    status: str = ""
    dry_run: bool = False  # a quote (``quote_number_release``): nothing was released


@dataclass(kw_only=True)
class CancelReleaseResult(Model):
    message: str = ""
    status: str = ""
    currency: str | None = None
    refund_amount: float | None = None
    refund_status: str | None = None
    refund_error: str | None = None


@dataclass(kw_only=True)
class NumberHealth(Model):
    e164: str = ""
    status: str = ""
    usage_status: str = ""
    is_spam: bool = False
    granularity: str = ""
    summary: dict[str, Any] = field(default_factory=dict)
    snapshots: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class Balance(Model):
    id: str = ""
    account_id: str = ""
    currency: str = ""
    balance: float = 0
    available_balance: float = 0
    reserved_funds: float = 0
    promotional_balance: float = 0
    promotional_reserved_balance: float = 0
    credit_limit: float = 0
    is_postpaid: bool = False
    credit_limit_type: str = ""
    low_balance_threshold: float = 0
    status: str = ""
    created_at: str = ""
    updated_at: str = ""


@dataclass(kw_only=True)
class Transaction(Model):
    id: str = ""
    account_id: str = ""
    balance_id: str = ""
    type: str = ""
    amount: float = 0
    currency: str = ""
    description: str = ""
    reference: str = ""
    reference_type: str | None = None
    status: str = ""
    processed_at: str = ""
    created_at: str = ""
    updated_at: str = ""


@dataclass(kw_only=True)
class Trunk(Model):
    trunk_id: str = ""
    account_id: str = ""
    name: str = ""
    trunk_domain: str = ""
    trunk_status: str = ""
    secure: bool = False
    trunk_direction: str = ""
    concurrent_calls_limit: int = 0
    cps_limit: int = 0
    description: str = ""
    transport: str = ""
    recording: bool = False
    enable_transcription: bool = False
    pii_redaction: bool = False
    webhook_method: str = ""
    recording_webhook_enabled: bool = False
    created_at: str = ""
    updated_at: str = ""
    credential_uuid: str | None = None
    primary_uri_uuid: str | None = None
    inbound_destination: str | None = None
    pii_entity_types: str | None = None
    webhook_url: str | None = None


@dataclass(kw_only=True)
class Application(Model):
    app_id: str = ""
    app_name: str = ""
    answer_url: str = ""
    answer_method: str = ""
    hangup_url: str = ""
    hangup_method: str = ""
    fallback_answer_url: str | None = None
    fallback_method: str = ""
    message_url: str | None = None
    message_method: str = ""
    application_type: str = ""
    default_app: bool = False
    default_endpoint_app: bool = False
    enabled: bool = False
    log_incoming_message: bool = False
    public_uri: bool = False
    sip_transfer_method: str = ""
    sip_transfer_url: Any = None
    sip_uri: str = ""
    resource_uri: str = ""
    sub_account: Any = None
    created_at: str = ""
    updated_at: str = ""
    api_id: str | None = None


@dataclass(kw_only=True)
class ApplicationWrite(Model):
    """Create/update answer: ``{api_id, app_id?, message}``."""

    api_id: str = ""
    app_id: str | None = None
    message: str = ""


@dataclass(kw_only=True)
class ApplicationAttachment(Model):
    _nested: ClassVar[dict[str, type[Model]]] = {"application": Application}
    message: str = ""
    number: str = ""
    application: Application | None = None


@dataclass(kw_only=True)
class SubAccount(Model):
    id: str = ""
    auth_id: str = ""
    parent_auth_id: str = ""
    name: str = ""
    email: str | None = None
    enabled: bool = False
    is_active: bool = False
    rate_limit: int = 0
    created_at: str = ""
    updated_at: str = ""


@dataclass(kw_only=True)
class Credentials(Model):
    auth_id: str = ""
    auth_token: str = ""


@dataclass(kw_only=True)
class SubAccountCreated(Model):
    """The token in ``auth_credentials`` is shown only once."""

    _nested: ClassVar[dict[str, type[Model]]] = {
        "sub_account": SubAccount,
        "auth_credentials": Credentials,
    }
    message: str = ""
    sub_account: SubAccount | None = None
    auth_credentials: Credentials | None = None


@dataclass(kw_only=True)
class AccountProfile(Model):
    """``GET /api/v1/auth/me``; ``pricing_tier.currency`` is the account currency."""

    id: str = ""
    auth_id: str = ""
    name: str = ""
    email: str = ""
    account_type: str = ""
    country: str = ""
    pricing_tier: dict[str, Any] = field(default_factory=dict)

    @property
    def currency(self) -> str | None:
        value = self.pricing_tier.get("currency")
        return value if isinstance(value, str) else None


@dataclass(kw_only=True)
class CustomerAccount(Model):
    """A partner's customer (entities spec §6.3)."""

    id: str = ""
    auth_id: str = ""
    name: str = ""
    email: str = ""
    cash_credits: str = ""
    is_active: bool = False
    created_at: str = ""


@dataclass(kw_only=True)
class PartnerProfile(Model):
    id: str = ""
    auth_id: str = ""
    name: str = ""
    balance: str = ""
    can_create_accounts: bool = False
    can_transfer_balance: bool = False


@dataclass(kw_only=True)
class BalanceTransfer(Model):
    transaction_id: str = ""
    from_account: str = ""
    to_account: str = ""
    amount: float = 0
    currency: str = ""
    description: str = ""
    status: str = ""
    partner_balance_after: Any = None
    customer_balance_after: Any = None
    timestamp: str = ""


@dataclass(kw_only=True)
class Report(Model):
    """A partner management report (renewals, routing, costs, kyc); its rows are in
    ``raw``; ``items`` holds the first list found in the body."""

    items: list[dict[str, Any]] = field(default_factory=list)


T = TypeVar("T")


@dataclass(kw_only=True)
class Page(Generic[T]):
    """One page of a list. ``next_cursor`` is the page number (or offset) of the next page,
    or ``None`` on the last one."""

    items: list[T]
    page: int = 1
    per_page: int = 0
    total: int = 0
    next_cursor: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    http: ResponseInfo | None = field(default=None, repr=False)


@dataclass(kw_only=True)
class Event(Model):
    """A lifecycle event (docs/events.md): ``data`` is the number's object for number
    events."""

    id: int = 0
    type: str = ""
    created_at: str = ""
    account_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(kw_only=True)
class EventPage(Model):
    """One page of the feed; pass ``next_after`` as ``after`` to read on."""

    events: list[Event] = field(default_factory=list)
    next_after: int = 0
    _nested: ClassVar[dict[str, type[Model]]] = {"events": Event}


@dataclass(kw_only=True)
class WebhookEndpoint(Model):
    """A webhook endpoint; ``secret`` only in the answers to create and rotate."""

    id: str = ""
    url: str = ""
    event_types: list[str] = field(default_factory=list)
    enabled: bool = True
    disabled_reason: str | None = None
    failed_deliveries: int = 0
    previous_secret_expires_at: str | None = None
    created_at: str = ""
    updated_at: str = ""
    secret: str | None = None


@dataclass(kw_only=True)
class WebhookDelivery(Model):
    """One event sent to one endpoint, with the log of its attempts."""

    id: str = ""
    event_id: int = 0
    event_type: str | None = None
    status: str = ""
    attempts: int = 0
    next_attempt_at: str | None = None
    last_attempt_at: str | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    attempt_log: list[dict[str, Any]] = field(default_factory=list)


@dataclass(kw_only=True)
class NumberLock(Model):
    """A number's deletion lock: while ``locked``, release and moves are refused (409
    ``number_locked``)."""

    e164: str = ""
    locked: bool = False
    locked_at: str | None = None
    locked_by: str | None = None


@dataclass(kw_only=True)
class ReservedNumber(Model):
    """One number of a reservation: ``held``, ``purchased``, ``cancelled`` or ``expired``."""

    e164: str = ""
    status: str = ""


@dataclass(kw_only=True)
class Reservation(Model):
    """A hold on available numbers (ADR 0022): ``status`` is ``active`` until it is bought,
    cancelled or expires (``expired`` as soon as ``expires_at`` passes)."""

    id: str = ""
    account_id: str = ""
    status: str = ""
    created_at: str = ""
    expires_at: str = ""
    numbers: list[ReservedNumber] = field(default_factory=list)
    _nested: ClassVar[dict[str, type[Model]]] = {"numbers": ReservedNumber}


@dataclass(kw_only=True)
class ReservationPurchase(Reservation):
    """A reservation just bought: the numbers bought and what was charged per currency."""

    purchased: list[PhoneNumber] = field(default_factory=list)
    charged: list[dict[str, Any]] = field(default_factory=list)
    _nested: ClassVar[dict[str, type[Model]]] = {
        "numbers": ReservedNumber,
        "purchased": PhoneNumber,
    }


@dataclass(kw_only=True)
class BulkJobResult(Model):
    """One number of a bulk job: ``pending``, ``succeeded``, ``failed`` (with ``error``, the
    refusal's code, and ``message``) or ``cancelled``."""

    e164: str = ""
    status: str = ""
    error: str | None = None
    message: str | None = None


@dataclass(kw_only=True)
class BulkJob(Model):
    """A bulk job (docs/api.md "Bulk jobs"): ``progress`` counts ``total``, ``done``,
    ``succeeded``, ``failed``, ``cancelled``, ``pending``; ``results`` (one per number) only
    from ``get``."""

    id: str = ""
    account_id: str = ""
    action: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    status: str = ""
    progress: dict[str, int] = field(default_factory=dict)
    created_at: str = ""
    updated_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    results: list[BulkJobResult] = field(default_factory=list)
    _nested: ClassVar[dict[str, type[Model]]] = {"results": BulkJobResult}

    @property
    def finished(self) -> bool:
        return self.status in ("completed", "cancelled")


@dataclass(kw_only=True)
class BulkJobPreview(Model):
    """A bulk job's dry run: what it would do and cost now; ``confirm_token`` (when
    ``confirmation_required``) is what ``submit(..., confirm=...)`` needs."""

    action: str = ""
    count: int = 0
    succeed: int = 0
    fail: int = 0
    total_cost_minor: int | None = None
    currency: str | None = None
    costs: list[dict[str, Any]] = field(default_factory=list)
    confirmation_required: bool = False
    confirm_token: str | None = None
    confirm_expires_at: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
