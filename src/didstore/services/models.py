"""Service-level records: what use cases return, built from rows in one function each."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    auth_id: str
    kind: str  # partner | main | sub
    parent_id: int | None
    partner_id: int | None
    name: str
    email: str
    currency: str
    api_id: str
    release_fee_minor: int
    enabled: bool
    kyc_mode: str
    aadhaar_verified: bool
    created_at: datetime
    updated_at: datetime
    parent_auth_id: str | None = None
    deleted: bool = False
    plivo_auth_id: str = ""  # the Plivo-style alias (ADR 0018)

    @property
    def payer_id(self) -> int:
        """The main account whose wallet pays: a sub-account's parent, else itself."""
        if self.kind == "sub":
            assert self.parent_id is not None
            return self.parent_id
        return self.id

    def may_manage(self, number: Mapping[str, Any]) -> bool:
        """A number row this account may act on: its owner's, or (for a main account) one of
        its sub-accounts', which it pays for."""
        return bool(
            number["owner_account_id"] == self.id
            or (self.kind == "main" and number["billing_account_id"] == self.id)
        )

    @staticmethod
    def from_row(row: Mapping[Any, Any], parent_auth_id: str | None = None) -> Account:
        return Account(
            id=row["id"],
            auth_id=row["auth_id"],
            kind=row["kind"],
            parent_id=row["parent_id"],
            partner_id=row["partner_id"],
            name=row["name"],
            email=row["email"],
            currency=row["currency"],
            api_id=row["api_id"],
            release_fee_minor=row["release_fee_minor"],
            enabled=bool(row["enabled"]),
            kyc_mode=row["kyc_mode"],
            aadhaar_verified=bool(row["aadhaar_verified"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            parent_auth_id=parent_auth_id,
            deleted=row.get("deleted_at") is not None,
            plivo_auth_id=row.get("plivo_auth_id") or "",
        )


@dataclass(frozen=True, slots=True)
class Number:
    id: str
    e164: str
    country: str
    region: str
    voice: bool
    sms: bool
    mms: bool
    fax: bool
    provider: str
    setup_fee_minor: int
    monthly_fee_minor: int
    currency: str
    tags: list[str]
    aadhaar_verification_required: bool
    is_trial_number: bool
    minimum_commitment_months: int
    state: str
    owner_auth_id: str | None
    trunk_id: str | None
    application_id: str | None
    source: str
    purchased_at: datetime | None
    last_billing_date: datetime | None
    next_billing_date: datetime | None
    cooldown_ends_at: datetime | None
    released_at: datetime | None
    aadhaar_verified: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def from_view(row: Sequence[Any]) -> Number:
        """A row of ``db.queries.NUMBER_VIEW`` (its columns are this class's fields, in order;
        anything after them, such as a list's total, is ignored)."""
        return Number(*row[:_NUMBER_FIELDS])

    @staticmethod
    def from_row(row: Mapping[Any, Any]) -> Number:
        """``row`` is a plain numbers row (no owner columns: ``owner_auth_id`` is None and
        ``aadhaar_verified`` False unless given)."""
        tags = row["tags"]
        return Number(
            id=row["id"],
            e164=row["e164"],
            country=row["country"],
            region=row["region"],
            voice=bool(row["voice"]),
            sms=bool(row["sms"]),
            mms=bool(row["mms"]),
            fax=bool(row["fax"]),
            provider=row["provider"],
            setup_fee_minor=row["setup_fee_minor"],
            monthly_fee_minor=row["monthly_fee_minor"],
            currency=row["currency"],
            tags=list(tags) if tags else [],
            aadhaar_verification_required=bool(row["aadhaar_verification_required"]),
            is_trial_number=bool(row["is_trial_number"]),
            minimum_commitment_months=row["minimum_commitment_months"],
            state=row["state"],
            owner_auth_id=row.get("owner_auth_id"),
            trunk_id=row["trunk_id"],
            application_id=row["application_id"],
            source=row["source"],
            purchased_at=row["purchased_at"],
            last_billing_date=row["last_billing_date"],
            next_billing_date=row["next_billing_date"],
            cooldown_ends_at=row["cooldown_ends_at"],
            released_at=row["released_at"],
            aadhaar_verified=bool(row.get("aadhaar_verified") or False),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


_NUMBER_FIELDS = len(fields(Number))


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    id: str
    seq: int
    wallet_id: str
    account_auth_id: str
    type: str
    amount_minor: int
    balance_after_minor: int
    currency: str
    reference_type: str
    reference: str
    description: str
    status: str
    created_at: datetime

    @staticmethod
    def from_row(row: Mapping[Any, Any]) -> LedgerEntry:
        return LedgerEntry(
            id=row["id"],
            seq=row["seq"],
            wallet_id=row["wallet_id"],
            account_auth_id=row["account_auth_id"],
            type=row["type"],
            amount_minor=row["amount_minor"],
            balance_after_minor=row["balance_after_minor"],
            currency=row["currency"],
            reference_type=row["reference_type"],
            reference=row["reference"],
            description=row["description"],
            status=row["status"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class Wallet:
    id: str
    account_auth_id: str
    currency: str
    balance_minor: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: Sequence[T]
    page: int
    per_page: int
    total: int


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs a change, for the audit log."""

    kind: str  # operator | account | partner | system
    auth_id: str = ""
    credential: str = ""  # x-auth | bearer | basic | admin-token | cli | system
    request_id: str = ""
    source_ip: str = ""
    account: Account | None = field(default=None, compare=False)

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"


SYSTEM = Actor(kind="system", credential="system")
CLI = Actor(kind="operator", auth_id="cli", credential="cli")
