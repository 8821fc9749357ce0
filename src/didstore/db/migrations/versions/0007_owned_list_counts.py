"""owned lists: the account indexes include the state columns (index-only exact totals)

Revision ID: 0007_owned_list_counts
Revises: 0006_billing_schedule
Create Date: 2026-11-23

PostgreSQL only: ``ix_numbers_billing_e164`` and ``ix_numbers_owner_e164`` are rebuilt with
``INCLUDE (state, cooldown_ends_at, grace_ends_at)``, so an owned list's total is counted
from the index alone (ADR 0009 §8). The rebuild takes a write lock on ``numbers`` while it
runs (seconds per million rows); SQLite has no INCLUDE and keeps its indexes.
"""

from __future__ import annotations

from alembic import op

revision = "0007_owned_list_counts"
down_revision = "0006_billing_schedule"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_numbers_billing_e164": "billing_account_id",
    "ix_numbers_owner_e164": "owner_account_id",
}


def _rebuild(include: list[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, column in _INDEXES.items():
        op.drop_index(name, table_name="numbers")
        op.create_index(name, "numbers", [column, "e164"], postgresql_include=include)


def upgrade() -> None:
    _rebuild(["state", "cooldown_ends_at", "grace_ends_at"])


def downgrade() -> None:
    _rebuild([])
