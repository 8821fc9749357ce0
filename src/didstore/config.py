"""Runtime settings, from CLI flags and ``DIDSTORE_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from didstore.db.engine import default_database_url


class SettingsError(ValueError):
    """A ``DIDSTORE_*`` variable holds what its setting cannot take (the message names it)."""


def grace_from_env() -> timedelta:
    """``DIDSTORE_GRACE_DAYS``: how long an unpaid number stays suspended (default 7 days)."""
    raw = os.environ.get("DIDSTORE_GRACE_DAYS", "").strip()
    if not raw:
        return timedelta(days=7)
    try:
        days = float(raw)
    except ValueError:
        raise SettingsError(f"DIDSTORE_GRACE_DAYS must be a number of days, got {raw!r}") from None
    if days < 0:
        raise SettingsError("DIDSTORE_GRACE_DAYS must not be negative")
    return timedelta(days=days)


def _env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


def _env_number(name: str, default: float) -> float:
    """A non-negative number from ``name`` (``default`` when unset or empty)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value < 0 or value != value:
        raise SettingsError(f"{name} must not be negative")
    return value


def _env_int(name: str, default: int) -> int:
    return int(_env_number(name, default))


def _env_positive_int(name: str, default: int) -> int:
    """A whole number of at least 1 from ``name`` (a 0 would switch the feature off silently)."""
    value = _env_int(name, default)
    if value < 1:
        raise SettingsError(f"{name} must be at least 1")
    return value


MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    admin_token: str | None = field(
        default_factory=lambda: os.environ.get("DIDSTORE_ADMIN_TOKEN") or None
    )
    test_clock: bool = field(default_factory=lambda: _env_flag("DIDSTORE_TEST_CLOCK"))
    #: run the lifecycle sweep inside the server process (every ``job_interval`` seconds);
    #: ``DIDSTORE_JOBS=0`` is how ``serve --no-jobs`` (and ``--workers``) reach the app
    run_jobs: bool = field(default_factory=lambda: _env_flag("DIDSTORE_JOBS", True))
    #: seconds between two runs of the background jobs (``DIDSTORE_JOB_INTERVAL``)
    job_interval: float = field(
        default_factory=lambda: float(_env_int("DIDSTORE_JOB_INTERVAL", 60))
    )
    #: unpaid renewal -> suspended for this long, then released into quarantine
    grace: timedelta = field(default_factory=grace_from_env)
    #: let stored URLs (trunk webhooks, application URLs, event webhooks) point at loopback
    #: and private addresses: for on-premises receivers and tests (SSRF, domain/urls.py)
    allow_private_webhooks: bool = field(
        default_factory=lambda: _env_flag("DIDSTORE_ALLOW_PRIVATE_WEBHOOKS")
    )
    #: SQLite durability: ``full`` (default: a commit is on disk before the answer) or
    #: ``normal`` (faster; a power loss may lose the last commits, never consistency)
    sqlite_synchronous: str = field(
        default_factory=lambda: os.environ.get("DIDSTORE_SQLITE_SYNCHRONOUS", "full").lower()
    )
    #: one JSON line per request on stderr (logger ``didstore.access``)
    access_log: bool = field(default_factory=lambda: _env_flag("DIDSTORE_ACCESS_LOG", True))
    #: a wallet below this balance (minor units, any currency) counts as running low: the
    #: metrics gauge, and a ``wallet.low_balance`` event when a debit crosses it (0: no events)
    low_balance_minor: int = field(
        default_factory=lambda: _env_int("DIDSTORE_LOW_BALANCE_MINOR", 10_000)
    )

    # -- limits (api/limits.py, http_server.py, docs/adr/0015-limits.md); 0 turns one off --
    #: requests per minute per credential (auth_id, or a Bearer token), across processes
    rate_limit: int = field(default_factory=lambda: _env_int("DIDSTORE_RATE_LIMIT", 1200))
    #: PostgreSQL: a server process updates a key's shared counter at most once per this
    #: many seconds and counts in between locally (0: one UPSERT per request)
    rate_limit_sync: float = field(
        default_factory=lambda: _env_number("DIDSTORE_RATE_LIMIT_SYNC", 0.1)
    )
    #: requests per minute per client address for requests without a credential
    ip_rate_limit: int = field(default_factory=lambda: _env_int("DIDSTORE_IP_RATE_LIMIT", 300))
    #: wrong credentials per ``auth_id`` in ``auth_fail_window`` before it is refused (429)
    auth_fail_limit: int = field(default_factory=lambda: _env_int("DIDSTORE_AUTH_FAIL_LIMIT", 20))
    #: wrong credentials per client address in ``auth_fail_window`` before it is refused
    ip_auth_fail_limit: int = field(
        default_factory=lambda: _env_int("DIDSTORE_IP_AUTH_FAIL_LIMIT", 100)
    )
    #: seconds: the failed-authentication window (a lock-out lasts until it ends)
    auth_fail_window: int = field(
        default_factory=lambda: max(1, _env_int("DIDSTORE_AUTH_FAIL_WINDOW", 300))
    )
    #: request body cap in bytes (413), and the larger one of the inventory import route
    max_body_bytes: int = field(default_factory=lambda: _env_int("DIDSTORE_MAX_BODY_BYTES", MIB))
    max_import_bytes: int = field(
        default_factory=lambda: _env_int("DIDSTORE_MAX_IMPORT_BYTES", 64 * MIB)
    )
    #: seconds for a request body to arrive once the headers have (408)
    body_timeout: float = field(default_factory=lambda: _env_number("DIDSTORE_BODY_TIMEOUT", 30))
    #: request line + headers cap in bytes (431), and seconds for them to arrive
    max_header_bytes: int = field(
        default_factory=lambda: _env_int("DIDSTORE_MAX_HEADER_BYTES", 32768)
    )
    header_timeout: float = field(
        default_factory=lambda: _env_number("DIDSTORE_HEADER_TIMEOUT", 10)
    )
    #: seconds an idle keep-alive connection stays open
    keep_alive_timeout: float = field(
        default_factory=lambda: _env_number("DIDSTORE_KEEP_ALIVE_TIMEOUT", 5)
    )
    #: seconds one database statement (PostgreSQL ``statement_timeout``, SQLite progress
    #: check) or a wait for a connection or SQLite's write lock may take (503)
    statement_timeout: float = field(
        default_factory=lambda: _env_number("DIDSTORE_STATEMENT_TIMEOUT", 30)
    )
    #: the key that signs the web console's session cookies; when unset, a random key per
    #: run (``serve --workers`` shares one with its workers; a restart signs everyone out of
    #: the console). Set it when separate servers share one address (ADR 0019).
    console_secret: str | None = field(
        default_factory=lambda: os.environ.get("DIDSTORE_CONSOLE_SECRET") or None
    )
    #: how often the job runner fans out and sends webhook deliveries (seconds; 0: only with
    #: the other jobs)
    webhook_interval: float = 1.0
    #: events older than this many days are deleted by the lifecycle job (the feed's window)
    event_retention_days: int = field(
        default_factory=lambda: _env_int("DIDSTORE_EVENT_RETENTION_DAYS", 30)
    )
    #: the longest hold a reservation may ask for, seconds (``DIDSTORE_RESERVATION_MAX_TTL``,
    #: ``serve --reservation-max-ttl``; ADR 0022); the default hold is 15 minutes
    reservation_max_ttl: int = field(
        default_factory=lambda: _env_positive_int("DIDSTORE_RESERVATION_MAX_TTL", 86_400)
    )

    # -- bulk jobs (services/bulk_jobs.py, ADR 0023) --------------------------------------
    #: the most numbers one bulk job may name or match (400 ``bulk_job_too_large`` beyond)
    bulk_job_max_numbers: int = field(
        default_factory=lambda: max(1, _env_int("DIDSTORE_BULK_JOB_MAX_NUMBERS", 1000))
    )
    #: a release or move job over more numbers than this needs the confirmation token of its
    #: dry run (0: never)
    bulk_confirm_threshold: int = field(
        default_factory=lambda: _env_int("DIDSTORE_BULK_CONFIRM_THRESHOLD", 10)
    )
    #: seconds a confirmation token stays valid
    bulk_confirm_ttl: int = field(
        default_factory=lambda: max(1, _env_int("DIDSTORE_BULK_CONFIRM_TTL", 900))
    )
