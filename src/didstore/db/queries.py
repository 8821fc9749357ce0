"""The statements and expressions more than one service uses, built once at import.

Statements here take their values through named ``bindparam``s, so each is compiled once
per dialect and reused (``db/plans.py``). A service's own one-off statements live beside it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, case, func, not_, or_, select
from sqlalchemy.orm import aliased

from didstore.db.tables import accounts, numbers
from didstore.db.types import UTCDateTime
from didstore.domain.lifecycle import NumberState

# -- accounts --------------------------------------------------------------------------------
_parent = aliased(accounts)

#: An account with its parent's public id.
ACCOUNT_VIEW = select(accounts, _parent.c.auth_id.label("parent_auth_id")).outerjoin(
    _parent, _parent.c.id == accounts.c.parent_id
)
ACCOUNT_BY_AUTH_ID = ACCOUNT_VIEW.where(accounts.c.auth_id == bindparam("auth_id"))
ACCOUNT_BY_ID = ACCOUNT_VIEW.where(accounts.c.id == bindparam("account_id"))
ACCOUNT_BY_PLIVO_ID = ACCOUNT_VIEW.where(accounts.c.plivo_auth_id == bindparam("plivo_auth_id"))
ACCOUNT_BY_TOKEN = ACCOUNT_VIEW.where(accounts.c.token_hash == bindparam("token_hash"))

#: Inside a write: the acting account is still enabled and not deleted, and stays so until
#: the transaction ends (a shared row lock; a deletion takes an exclusive one).
LIVE_ACCOUNT = (
    select(accounts.c.id, accounts.c.partner_id, accounts.c.aadhaar_verified)
    .where(
        accounts.c.id == bindparam("account_id"),
        accounts.c.enabled.is_(True),
        accounts.c.deleted_at.is_(None),
    )
    .with_for_update(read=True, key_share=True)
)

# -- numbers ---------------------------------------------------------------------------------
_owner = aliased(accounts)
_owner_parent = aliased(accounts)


def _aadhaar_verified() -> Any:
    """A number's Aadhaar state is its holder's KYC: a main account's own, a ``customer_use``
    sub-account's own, and a ``personal_use`` sub-account's parent's (spec §10.14)."""
    return case(
        (
            and_(_owner.c.kind == "sub", _owner.c.kyc_mode == "personal_use"),
            func.coalesce(_owner_parent.c.aadhaar_verified, False),
        ),
        else_=func.coalesce(_owner.c.aadhaar_verified, False),
    )


#: The joins a number's wire object needs: its owner's public id and effective KYC state.
NUMBER_FROM = numbers.outerjoin(_owner, _owner.c.id == numbers.c.owner_account_id).outerjoin(
    _owner_parent, _owner_parent.c.id == _owner.c.parent_id
)
OWNER_AUTH_ID = _owner.c.auth_id.label("owner_auth_id")
OWNER_AADHAAR_VERIFIED = _aadhaar_verified().label("aadhaar_verified")
#: The owner's main account (itself for a main account): whose event feed a number reaches.
OWNER_MAIN_AUTH_ID = func.coalesce(_owner_parent.c.auth_id, _owner.c.auth_id).label(
    "owner_main_auth_id"
)

#: A number as ``services.models.Number`` holds it, column for field in the same order
#: (``Number.from_view``; a test checks the order), with the owner's public id and KYC.
NUMBER_COLUMNS = (
    "id",
    "e164",
    "country",
    "region",
    "voice",
    "sms",
    "mms",
    "fax",
    "provider",
    "setup_fee_minor",
    "monthly_fee_minor",
    "currency",
    "tags",
    "aadhaar_verification_required",
    "is_trial_number",
    "minimum_commitment_months",
    "state",
    "owner_auth_id",
    "trunk_id",
    "application_id",
    "source",
    "purchased_at",
    "last_billing_date",
    "next_billing_date",
    "cooldown_ends_at",
    "released_at",
    "aadhaar_verified",
    "created_at",
    "updated_at",
)
_COMPUTED = {"owner_auth_id": OWNER_AUTH_ID, "aadhaar_verified": OWNER_AADHAAR_VERIFIED}
NUMBER_VIEW = select(
    *[_COMPUTED[c] if c in _COMPUTED else numbers.c[c] for c in NUMBER_COLUMNS]
).select_from(NUMBER_FROM)
NUMBER_BY_ID = NUMBER_VIEW.where(numbers.c.id == bindparam("number_id"))

NOW = bindparam("now", type_=UTCDateTime)

#: Owned states as the customer sees them at ``now``: a pending release whose 24 h have
#: passed, or a suspension whose grace period has ended, is released, whether or not the job
#: that records it has run yet.
VISIBLE_OWNED = or_(
    numbers.c.state.in_([NumberState.ACTIVE.value, NumberState.BLOCKED.value]),
    and_(numbers.c.state == NumberState.PENDING_RELEASE.value, numbers.c.cooldown_ends_at > NOW),
    and_(
        numbers.c.state == NumberState.SUSPENDED.value,
        or_(numbers.c.grace_ends_at.is_(None), numbers.c.grace_ends_at > NOW),
    ),
)

#: The same rows as ``VISIBLE_OWNED`` (every row has one of the six states; a test checks
#: every state and boundary on both databases), written as exclusions that no index can
#: serve: for lists that already pin one account through its own index, PostgreSQL
#: under-estimates the correlated ``account AND state`` conditions of the indexable form and
#: prefers a bitmap scan of every owned row plus a sort (ADR 0009 §8).
VISIBLE_OWNED_FILTER = and_(
    numbers.c.state.not_in([NumberState.AVAILABLE.value, NumberState.QUARANTINED.value]),
    not_(
        and_(
            numbers.c.state == NumberState.PENDING_RELEASE.value,
            or_(numbers.c.cooldown_ends_at.is_(None), numbers.c.cooldown_ends_at <= NOW),
        )
    ),
    not_(
        and_(
            numbers.c.state == NumberState.SUSPENDED.value,
            numbers.c.grace_ends_at.is_not(None),
            numbers.c.grace_ends_at <= NOW,
        )
    ),
)

#: One number the caller may hold (the caller checks ``may_manage``), as the list shows it.
OWNED_NUMBER_BY_E164 = NUMBER_VIEW.add_columns(
    numbers.c.owner_account_id, numbers.c.billing_account_id
).where(numbers.c.e164 == bindparam("e164"), VISIBLE_OWNED)

#: A number row, by its E.164 value (write paths lock or re-check what they need).
NUMBER_ROW_BY_E164 = select(numbers).where(numbers.c.e164 == bindparam("e164"))

#: The route lookup (once per inbound call): one indexed read joined to the owner's id.
ROUTE = (
    select(
        numbers.c.e164,
        numbers.c.state,
        numbers.c.cooldown_ends_at,
        numbers.c.trunk_id,
        numbers.c.application_id,
        _owner.c.auth_id,
        numbers.c.aadhaar_verification_required,
        OWNER_AADHAAR_VERIFIED,
    )
    .select_from(NUMBER_FROM)
    .where(numbers.c.e164 == bindparam("e164"))
)
