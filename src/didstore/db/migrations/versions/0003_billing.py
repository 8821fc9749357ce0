"""billing: renewal charges, unpaid grace columns, idempotency keys

Revision ID: 0003_billing
Revises: 0002_routing
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import didstore.db.types

revision = "0003_billing"
down_revision = "0002_routing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("numbers") as batch:
        batch.add_column(sa.Column("suspended_at", didstore.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("grace_ends_at", didstore.db.types.UTCDateTime(), nullable=True))
    # No index on grace_ends_at: suspended numbers are few and found through
    # ix_numbers_state_next_billing's ``state`` prefix; every extra index on ``numbers`` is
    # one more write per renewal.
    op.create_table(
        "renewal_charges",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number_id", sa.String(length=36), nullable=False),
        sa.Column("period_start", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("next_period_start", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("wallet_id", sa.String(length=36), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_minor", sa.BigInteger(), nullable=False),
        sa.Column("ledger_entry_id", sa.String(length=36), nullable=True),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("charged_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_renewal_charges_amount_nonnegative")),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_renewal_charges")),
        sa.UniqueConstraint("number_id", "period_start", name="uq_renewal_charges_number_period"),
    )
    op.create_index("ix_renewal_charges_batch", "renewal_charges", ["batch_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("response_content_type", sa.String(length=100), nullable=True),
        sa.Column("created_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("locked_until", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "state IN ('in_flight', 'done')", name=op.f("ck_idempotency_keys_state")
        ),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index("ix_idempotency_keys_expires", "idempotency_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_keys_expires", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_renewal_charges_batch", table_name="renewal_charges")
    op.drop_table("renewal_charges")
    with op.batch_alter_table("numbers") as batch:
        batch.drop_column("grace_ends_at")
        batch.drop_column("suspended_at")
