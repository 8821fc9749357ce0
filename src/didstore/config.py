"""Runtime settings, from CLI flags and ``DIDSTORE_*`` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from didstore.db.engine import default_database_url


def grace_from_env() -> timedelta:
    """``DIDSTORE_GRACE_DAYS``: how long an unpaid number stays suspended (default 7 days)."""
    raw = os.environ.get("DIDSTORE_GRACE_DAYS", "").strip()
    if not raw:
        return timedelta(days=7)
    try:
        days = float(raw)
    except ValueError:
        raise ValueError(f"DIDSTORE_GRACE_DAYS must be a number of days, got {raw!r}") from None
    if days < 0:
        raise ValueError("DIDSTORE_GRACE_DAYS must not be negative")
    return timedelta(days=days)


def _env_flag(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


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
    #: how often the job runner fans out and sends webhook deliveries (seconds; 0: only with
    #: the other jobs)
    webhook_interval: float = 1.0
    #: events older than this many days are deleted by the lifecycle job (the feed's window)
    event_retention_days: int = field(
        default_factory=lambda: _env_int("DIDSTORE_EVENT_RETENTION_DAYS", 30)
    )
