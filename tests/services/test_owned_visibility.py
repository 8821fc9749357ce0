"""The two spellings of "visible as owned at now" select the same rows."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import insert, select

from didstore.db.queries import VISIBLE_OWNED, VISIBLE_OWNED_FILTER
from didstore.db.tables import numbers
from tests.conftest import make_account
from tests.support import TestServices

STATES = ("available", "active", "pending_release", "suspended", "quarantined", "blocked")


def test_unindexed_visibility_selects_exactly_the_visible_rows(state: TestServices) -> None:
    """``VISIBLE_OWNED_FILTER`` (the owned list's form, ADR 0009 §8) and ``VISIBLE_OWNED``
    pick the same rows for every state and every cooldown/grace value around ``now``."""
    now = state.clock.now()
    owner = state.accounts.get(make_account(state, balance=0).auth_id)
    times = [None, now - timedelta(seconds=1), now, now + timedelta(seconds=1)]
    rows = []
    for i, (st, cooldown, grace) in enumerate(itertools.product(STATES, times, times)):
        owned = st not in ("available", "quarantined")
        rows.append(
            {
                "id": f"vis-{i}",
                "e164": f"+1415556{i:04d}",
                "country": "US",
                "setup_fee_minor": 0,
                "monthly_fee_minor": 0,
                "currency": "USD",
                "tags": [],
                "state": st,
                "owner_account_id": owner.id if owned else None,
                "billing_account_id": owner.id if owned else None,
                "cooldown_ends_at": cooldown,
                "grace_ends_at": grace,
                "created_at": now,
                "updated_at": now,
            }
        )
    with state.db.write() as conn:
        conn.execute(insert(numbers), rows)
    with state.db.read() as conn:
        indexed = set(
            conn.execute(select(numbers.c.id).where(VISIBLE_OWNED), {"now": now}).scalars()
        )
        unindexed = set(
            conn.execute(select(numbers.c.id).where(VISIBLE_OWNED_FILTER), {"now": now}).scalars()
        )
    assert indexed == unindexed
    assert 0 < len(indexed) < len(rows)  # both kinds of answer were exercised
