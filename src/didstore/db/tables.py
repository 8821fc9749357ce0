"""Tables (SQLAlchemy Core). Money columns are integer minor units (``*_minor``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    text,
)

from didstore.db.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

FALSE = text("false")

# Partners (PA_), main accounts (MA_) and sub-accounts (SA_) share one table: they all
# authenticate the same way and hold wallets the same way.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("auth_id", String(16), nullable=False, unique=True),
    Column("kind", String(8), nullable=False),  # partner | main | sub
    Column("parent_id", Integer, ForeignKey("accounts.id"), nullable=True),  # sub -> main
    Column("partner_id", Integer, ForeignKey("accounts.id"), nullable=True),  # main -> partner
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False, server_default=""),
    Column("currency", String(3), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("api_id", String(36), nullable=False),
    Column("release_fee_minor", BigInteger, nullable=False, server_default="0"),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("kyc_mode", String(16), nullable=False, server_default="personal_use"),
    Column("aadhaar_verified", Boolean, nullable=False, server_default=FALSE),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("deleted_at", UTCDateTime, nullable=True),  # sub-accounts are deleted softly
    # profile fields of customer accounts created through the partner API
    Column("phone", String(16), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("company", String(200), nullable=False, server_default=""),
    Column("password_hash", String(200), nullable=True),
    # the 20-character Plivo-style alias the Plivo facade answers to (migration 0010, ADR 0018)
    Column("plivo_auth_id", String(20), nullable=False),
    CheckConstraint("kind IN ('partner', 'main', 'sub')", name="kind"),
    CheckConstraint("release_fee_minor >= 0", name="release_fee_nonnegative"),
    Index("ix_accounts_parent", "parent_id"),
    Index("ix_accounts_partner", "partner_id"),
    Index("ix_accounts_plivo_auth_id", "plivo_auth_id", unique=True),
)

# One wallet per account and currency. The cached balance can never go negative; every
# change to it is mirrored by exactly one ledger row (checked by `didstore ledger verify`).
wallets = Table(
    "wallets",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("balance_minor", BigInteger, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("account_id", "currency", name="uq_wallets_account_currency"),
    CheckConstraint("balance_minor >= 0", name="balance_nonnegative"),
)

# Append-only: rows are inserted, never updated or deleted.
ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("wallet_id", String(36), ForeignKey("wallets.id"), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("actor_account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("type", String(6), nullable=False),  # credit | debit
    Column("amount_minor", BigInteger, nullable=False),
    Column("balance_after_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("reference_type", String(32), nullable=False),
    Column("reference", String(200), nullable=False, server_default=""),
    Column("description", String(500), nullable=False, server_default=""),
    Column("number_id", String(36), nullable=True),
    Column("status", String(16), nullable=False, server_default="completed"),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("type IN ('credit', 'debit')", name="type"),
    CheckConstraint("amount_minor > 0", name="amount_positive"),
    CheckConstraint("balance_after_minor >= 0", name="balance_after_nonnegative"),
    Index("ix_ledger_account_seq", "account_id", "seq"),
    Index("ix_ledger_wallet_seq", "wallet_id", "seq"),
    Index("ix_ledger_number", "number_id"),
)

numbers = Table(
    "numbers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("e164", String(16), nullable=False, unique=True),
    Column("country", String(2), nullable=False),
    Column("region", String(100), nullable=False, server_default=""),
    Column("voice", Boolean, nullable=False, server_default=text("true")),
    Column("sms", Boolean, nullable=False, server_default=FALSE),
    Column("mms", Boolean, nullable=False, server_default=FALSE),
    Column("fax", Boolean, nullable=False, server_default=FALSE),
    Column("provider", String(100), nullable=False, server_default=""),
    Column("setup_fee_minor", BigInteger, nullable=False),
    Column("monthly_fee_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("aadhaar_verification_required", Boolean, nullable=False, server_default=FALSE),
    Column("is_trial_number", Boolean, nullable=False, server_default=FALSE),
    Column("minimum_commitment_months", Integer, nullable=False, server_default="0"),
    Column("state", String(20), nullable=False),
    # owner: the MA_ or SA_ that holds the number; billing: the MA_ whose wallet pays.
    Column("owner_account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("billing_account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("trunk_id", String(36), nullable=True),
    Column("application_id", String(20), nullable=True),
    Column("source", String(20), nullable=False, server_default="inventory"),
    Column("purchased_at", UTCDateTime, nullable=True),
    Column("last_billing_date", UTCDateTime, nullable=True),
    Column("next_billing_date", UTCDateTime, nullable=True),
    Column("release_requested_at", UTCDateTime, nullable=True),
    Column("cooldown_ends_at", UTCDateTime, nullable=True),
    Column("release_fee_minor", BigInteger, nullable=True),
    Column("release_fee_currency", String(3), nullable=True),
    Column("released_at", UTCDateTime, nullable=True),
    Column("available_at", UTCDateTime, nullable=True),
    Column("last_call_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # the partner of the paying account, set at purchase: partner views page on it
    Column("partner_id", Integer, ForeignKey("accounts.id"), nullable=True),
    # the deletion lock (issue 13 item 6): while set, release and moves answer 409
    # number_locked; who set it: the operator ("operator") or the account's auth id
    Column("deletion_locked_at", UTCDateTime, nullable=True),
    Column("deletion_locked_by", String(32), nullable=True),
    CheckConstraint(
        "state IN ('available', 'active', 'pending_release', 'suspended', 'quarantined',"
        " 'blocked')",
        name="state",
    ),
    CheckConstraint("setup_fee_minor >= 0 AND monthly_fee_minor >= 0", name="fees_nonnegative"),
    CheckConstraint(
        "(state IN ('available', 'quarantined')) = (owner_account_id IS NULL)",
        name="owner_matches_state",
    ),
    # Inventory search: available numbers by country, in a stable order (and the zero-match
    # trap of the performance notes: a filter with no match must not scan the table).
    Index("ix_numbers_state_country_e164", "state", "country", "e164"),
    Index("ix_numbers_state_e164", "state", "e164"),
    # Owned lists: a page walks (account, e164) and skips rows from the index alone: the state
    # columns are INCLUDEd on PostgreSQL and (SQLite has no INCLUDE) trailing key columns on
    # SQLite (migration 0008).
    Index(
        "ix_numbers_billing_e164",
        "billing_account_id",
        "e164",
        postgresql_include=["state", "cooldown_ends_at", "grace_ends_at"],
    ),
    Index(
        "ix_numbers_owner_e164",
        "owner_account_id",
        "e164",
        postgresql_include=["state", "cooldown_ends_at", "grace_ends_at"],
    ),
    Index("ix_numbers_state_available_at", "state", "available_at"),
    Index("ix_numbers_state_cooldown", "state", "cooldown_ends_at"),
    Index("ix_numbers_partner_e164", "partner_id", "e164"),
)

# Who changed what: append-only.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor_type", String(16), nullable=False),  # operator | account | partner | system
    Column("actor_id", String(32), nullable=False, server_default=""),
    Column("credential", String(32), nullable=False, server_default=""),
    Column("account_id", String(16), nullable=True),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False, server_default=""),
    Column("e164", String(16), nullable=True),
    Column("before", JSON, nullable=True),
    Column("after", JSON, nullable=True),
    Column("request_id", String(64), nullable=False, server_default=""),
    Column("source_ip", String(64), nullable=False, server_default=""),
    Index("ix_audit_e164_id", "e164", "id"),
    Index("ix_audit_account_id", "account_id", "id"),
    Index("ix_audit_at", "at"),
)

# The operator ("admin") token generated at first start, when DIDSTORE_ADMIN_TOKEN is unset.
operator_tokens = Table(
    "operator_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# Reports computed by jobs and kept for partners (e.g. the weekly renewal check).
partner_reports = Table(
    "partner_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("partner_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("period", String(32), nullable=False),  # e.g. ISO week 2026-W48
    Column("generated_at", UTCDateTime, nullable=False),
    Column("body", JSON, nullable=False),
    UniqueConstraint("partner_id", "kind", "period", name="uq_partner_reports_period"),
)

# -- routing (issue 3) ---------------------------------------------------------------------
# SIP trunks: inbound routing targets owned by an account (MA_ or SA_). ``id`` is the
# ``trunk_id``/``trunk_group_id`` UUID of the wire.
trunks = Table(
    "trunks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("trunk_domain", String(255), nullable=False),
    Column("trunk_status", String(16), nullable=False),
    Column("trunk_direction", String(16), nullable=False),
    Column("secure", Boolean, nullable=False, server_default=FALSE),
    Column("transport", String(8), nullable=False),
    Column("concurrent_calls_limit", Integer, nullable=False),
    Column("cps_limit", Integer, nullable=False),
    Column("description", String(1000), nullable=False, server_default=""),
    Column("recording", Boolean, nullable=False, server_default=FALSE),
    Column("enable_transcription", Boolean, nullable=False, server_default=FALSE),
    Column("pii_redaction", Boolean, nullable=False, server_default=FALSE),
    Column("pii_entity_types", String(500), nullable=True),
    Column("webhook_url", String(2000), nullable=True),
    Column("webhook_method", String(8), nullable=False),
    Column("recording_webhook_enabled", Boolean, nullable=False, server_default=FALSE),
    Column("inbound_destination", String(500), nullable=True),
    Column("credential_uuid", String(36), nullable=True),
    Column("ipacl_uuid", String(36), nullable=True),
    Column("primary_uri_uuid", String(36), nullable=True),
    Column("fallback_uri_uuid", String(36), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_trunks_account_created", "account_id", "created_at"),
)

# Voice applications (answer URLs). ``id`` is the 17-digit ``app_id``.
applications = Table(
    "applications",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("app_name", String(200), nullable=False),
    Column("answer_url", String(2000), nullable=False),
    Column("answer_method", String(8), nullable=False),
    Column("hangup_url", String(2000), nullable=False),
    Column("hangup_method", String(8), nullable=False),
    Column("fallback_answer_url", String(2000), nullable=True),
    Column("fallback_method", String(8), nullable=False),
    Column("message_url", String(2000), nullable=True),
    Column("message_method", String(8), nullable=False),
    Column("application_type", String(16), nullable=False),
    Column("default_app", Boolean, nullable=False, server_default=FALSE),
    Column("default_endpoint_app", Boolean, nullable=False, server_default=FALSE),
    Column("default_number_app", Boolean, nullable=False, server_default=FALSE),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("log_incoming_message", Boolean, nullable=False, server_default=FALSE),
    Column("public_uri", Boolean, nullable=False, server_default=FALSE),
    Column("sub_account", String(16), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_applications_account_created", "account_id", "created_at"),
)

# Call activity reported by the routing plane, aggregated per number and UTC hour. Health
# (spec 4.10) is computed from these buckets; the number's ``last_call_at`` drives the
# 15-day DID cool-off.
number_call_stats = Table(
    "number_call_stats",
    metadata,
    Column("number_id", String(36), ForeignKey("numbers.id"), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    Column("total_calls", Integer, nullable=False, server_default="0"),
    Column("answered_calls", Integer, nullable=False, server_default="0"),
    Column("total_duration_seconds", BigInteger, nullable=False, server_default="0"),
)

# Deleting a trunk or an application asks whether any number still uses it.
Index("ix_numbers_trunk_id", numbers.c.trunk_id)
Index("ix_numbers_application_id", numbers.c.application_id)

__all__ = [
    "accounts",
    "applications",
    "audit_log",
    "ledger_entries",
    "metadata",
    "number_call_stats",
    "numbers",
    "operator_tokens",
    "partner_reports",
    "trunks",
    "wallets",
]


# -- billing (renewals, unpaid grace, idempotent writes) -------------------------------------
# Set when a renewal could not be paid: the number stops routing at once and is released into
# quarantine when ``grace_ends_at`` passes unless the wallet is credited first.
numbers.append_column(Column("suspended_at", UTCDateTime, nullable=True))
numbers.append_column(Column("grace_ends_at", UTCDateTime, nullable=True))
# The numbers counted in ``number_counts`` that a list may no longer show (a release or a grace
# period already over, not yet moved by the job): few, counted from these partial indexes
# alone (the state is a key column, so SQLite's planner picks them too).
for _name, _holder in (
    ("ix_numbers_owner_transient", numbers.c.owner_account_id),
    ("ix_numbers_billing_transient", numbers.c.billing_account_id),
):
    Index(
        _name,
        _holder,
        numbers.c.state,
        numbers.c.cooldown_ends_at,
        numbers.c.grace_ends_at,
        sqlite_where=text("state IN ('pending_release', 'suspended')"),
        postgresql_where=text("state IN ('pending_release', 'suspended')"),
    )

# The renewal queue: one row per number that has a ``next_billing_date`` (owned: active,
# suspended or pending release), ``due_at`` equal to it. Renewals find due numbers here, so
# ``numbers`` keeps no index on its billing dates and a renewal's UPDATE of it is a HOT
# update (ADR 0012). Written in the same transaction as every change of the billing date.
billing_schedule = Table(
    "billing_schedule",
    metadata,
    Column("number_id", String(36), ForeignKey("numbers.id"), primary_key=True),
    Column("due_at", UTCDateTime, nullable=False),
    Index("ix_billing_schedule_due", "due_at", "number_id"),
)

# One row per (number, billing period) ever charged: the unique key is what makes a renewal
# happen exactly once, however many workers run and however often a run is repeated.
renewal_charges = Table(
    "renewal_charges",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("number_id", String(36), nullable=False),
    Column("period_start", UTCDateTime, nullable=False),
    Column("next_period_start", UTCDateTime, nullable=False),
    Column("account_id", Integer, nullable=False),  # no FK: a per-row check costs at 1M rows
    Column("wallet_id", String(36), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("balance_after_minor", BigInteger, nullable=False),
    Column("ledger_entry_id", String(36), nullable=True),
    Column("batch_id", String(36), nullable=False),
    Column("charged_at", UTCDateTime, nullable=False),
    UniqueConstraint("number_id", "period_start", name="uq_renewal_charges_number_period"),
    CheckConstraint("amount_minor >= 0", name="amount_nonnegative"),
    Index("ix_renewal_charges_batch", "batch_id"),
)

# Idempotency-Key records, one per (caller, key), kept 24 h.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(32), primary_key=True),  # MA_/SA_/PA_ id, or "operator"
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # sha256(method, path, query, body)
    Column("method", String(8), nullable=False),
    Column("path", String(500), nullable=False),
    Column("state", String(12), nullable=False),  # in_flight | done
    Column("response_status", Integer, nullable=True),
    Column("response_body", LargeBinary, nullable=True),
    Column("response_content_type", String(100), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("locked_until", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    CheckConstraint("state IN ('in_flight', 'done')", name="state"),
    Index("ix_idempotency_keys_expires", "expires_at"),
)

__all__ += ["idempotency_keys", "renewal_charges"]


# How many numbers each account owns and pays for in an owned state: kept by triggers on
# ``numbers`` (migration 0008), read by the owned list for its exact total.
number_counts = Table(
    "number_counts",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("owned", Integer, nullable=False, server_default="0"),
    Column("paid", Integer, nullable=False, server_default="0"),
)

# Inventory search counts (migration 0009, ADR 0016): how many *available* numbers of a
# ``country`` whose E.164 starts with ``bucket`` (its first 6 characters, e.g. "+91987")
# contain ``pattern`` (a 1-3 digit substring of the digits; "" = every number). Kept by
# triggers on ``numbers`` in the same transaction as every change, on both databases. A
# search's exact ``total`` is a sum of these rows, and a deep page starts in the bucket that
# holds its offset instead of walking the index from the first number.
search_counts = Table(
    "search_counts",
    metadata,
    Column("pattern", String(3), primary_key=True),
    Column("bucket", String(6), primary_key=True),
    Column("country", String(2), primary_key=True),
    Column("n", Integer, nullable=False, server_default="0"),
)

__all__ += ["search_counts"]

# Request counters of the rate limiter shared by the server processes (services/rate_limits.py,
# ADR 0015): one row per key (a credential, a client address, a failed-authentication
# subject). ``hits`` counts the window starting at ``window_start`` (epoch seconds),
# ``prev_hits`` the window before it. UNLOGGED on PostgreSQL (migration 0012): counters need
# no crash safety and skip the write-ahead log.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("window_start", BigInteger, nullable=False),
    Column("hits", Integer, nullable=False),
    Column("prev_hits", Integer, nullable=False, server_default="0"),
)

__all__ += ["rate_limits"]

# -- the Plivo-compatible facade (migration 0010, ADR 0018) ---------------------------------
# ``alias``: the free-text label Plivo keeps on a number (set through ``Number/{n}/``).
# ``number_type``: local | mobile | tollfree | national, from the numbering plan at import.
numbers.append_column(Column("alias", String(100), nullable=True))
numbers.append_column(Column("number_type", String(10), nullable=False, server_default="local"))

# The transactional outbox (migration 0011, ADR 0020): one row per lifecycle transition or
# money outcome, written in the transaction that made it. ``seq`` is the insertion order;
# ``id`` is the feed position, given in commit order (on SQLite at insert, by a trigger:
# writers are serialised; on PostgreSQL afterwards by ``services.event_feed.sequence``), so
# a reader that has seen ``id`` N never later finds a committed event below N.
events = Table(
    "events",
    metadata,
    Column(
        "seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("id", BigInteger, nullable=True, unique=True),
    Column("type", String(48), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("account_id", String(16), nullable=True),  # the account it concerns (auth id)
    Column("main_account_id", String(16), nullable=True),  # that account's main account
    Column("data", JSON, nullable=False),
    Index("ix_events_account_id", "account_id", "id"),
    Index("ix_events_main_account_id", "main_account_id", "id"),
    Index("ix_events_created_at", "created_at"),
    Index(
        "ix_events_unpositioned",
        "seq",
        postgresql_where=text("id IS NULL"),
        sqlite_where=text("id IS NULL"),
    ),
    sqlite_autoincrement=True,  # a seq (and so an id) is never reused, even after a purge
)

# The last feed position given out (PostgreSQL; one row): its row lock makes one sequencer
# at a time.
event_position = Table(
    "event_position",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last", BigInteger, nullable=False),
)

__all__ += ["event_position", "events"]


# Webhook endpoints (ADR 0020): an account's (``account_id``) or the operator's (NULL). Each
# has its own cursor into the event feed: events after it are fanned out into deliveries.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("url", String(2048), nullable=False),
    Column("event_types", JSON, nullable=False),  # [] = every type
    Column("secret", String(64), nullable=False),
    Column("previous_secret", String(64), nullable=True),  # still signs until ...
    Column("previous_secret_until", UTCDateTime, nullable=True),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("disabled_reason", String(200), nullable=True),
    # deliveries in a row that ran out of retries (a success resets it)
    Column("failed_deliveries", Integer, nullable=False, server_default="0"),
    Column("cursor", BigInteger, nullable=False, server_default="0"),  # last event fanned out
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_webhook_endpoints_account_id", "account_id"),
)

# One event to one endpoint, until it is acknowledged (2xx) or its retries run out.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "endpoint_id",
        String(36),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("first_attempt_at", UTCDateTime, nullable=True),
    Column("last_attempt_at", UTCDateTime, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
)

# The delivery log: every attempt and what the receiver answered.
webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        String(36),
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(500), nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Index("ix_webhook_attempts_delivery_id", "delivery_id", "id"),
)

__all__ += ["webhook_attempts", "webhook_deliveries", "webhook_endpoints"]

# Reservations (migration 0013, ADR 0022): a hold of one or more available numbers by one
# account until ``expires_at``; ``reservation_numbers`` is what became of each number. The
# hold itself is on the number (``reservation_id``, ``reserved_by``, ``reserved_until``), so
# a hold and a purchase of one number serialise on its row. A held number leaves the search
# counters and the trigram index (their triggers count only unheld available numbers).
numbers.append_column(Column("reservation_id", String(36), nullable=True))
numbers.append_column(Column("reserved_by", Integer, nullable=True))
numbers.append_column(Column("reserved_until", UTCDateTime, nullable=True))
Index(
    "ix_numbers_reservation_id",
    numbers.c.reservation_id,
    postgresql_where=text("reservation_id IS NOT NULL"),
    sqlite_where=text("reservation_id IS NOT NULL"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),  # the holder
    Column("main_account_id", Integer, ForeignKey("accounts.id"), nullable=False),  # its payer
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("status IN ('active', 'cancelled', 'purchased', 'expired')", name="status"),
    Index("ix_reservations_account", "account_id", "created_at"),
    Index("ix_reservations_main", "main_account_id", "created_at"),
    Index("ix_reservations_status_expires", "status", "expires_at"),
)

reservation_numbers = Table(
    "reservation_numbers",
    metadata,
    Column(
        "reservation_id",
        String(36),
        ForeignKey("reservations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("number_id", String(36), primary_key=True),
    Column("e164", String(16), nullable=False),
    Column("account_id", Integer, nullable=False),  # the holder (as reservations.account_id)
    Column("status", String(16), nullable=False),
    CheckConstraint("status IN ('held', 'purchased', 'cancelled', 'expired')", name="status"),
    Index("ix_reservation_numbers_number", "number_id", "status"),
)

__all__ += ["reservation_numbers", "reservations"]

# Bulk jobs (migration 0014, ADR 0023): one operation (purchase, release, assign_trunk,
# attach_application, move) over many numbers, done by the job runner, never in a request.
# ``actor`` is who submitted it (the audit rows of its numbers name them).
bulk_jobs = Table(
    "bulk_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("params", JSON, nullable=False),
    Column("actor", JSON, nullable=False),
    Column("status", String(16), nullable=False),  # pending | running | completed | cancelled
    Column("total", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Index("ix_bulk_jobs_account_id", "account_id", "created_at"),
    Index("ix_bulk_jobs_status", "status"),
    CheckConstraint("status IN ('pending', 'running', 'completed', 'cancelled')", name="status"),
)

# One number of a bulk job: ``pending`` until done; its final state commits in the same
# transaction as the number's change (exactly once, even across a crash).
bulk_job_items = Table(
    "bulk_job_items",
    metadata,
    Column(
        "job_id",
        String(36),
        ForeignKey("bulk_jobs.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("e164", String(20), nullable=False),
    Column("status", String(16), nullable=False),  # pending | succeeded | failed | cancelled
    Column("error_code", String(48), nullable=True),
    Column("error_message", String(500), nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    UniqueConstraint("job_id", "e164", name="uq_bulk_job_items_job_e164"),
    Index("ix_bulk_job_items_status", "job_id", "status"),
    CheckConstraint("status IN ('pending', 'succeeded', 'failed', 'cancelled')", name="status"),
)

__all__ += ["bulk_job_items", "bulk_jobs"]
