"""billing schedule: renewals find due numbers in a narrow table, not an index on numbers

Revision ID: 0006_billing_schedule
Revises: 0005_partner
Create Date: 2026-11-23

Dropping ``ix_numbers_state_next_billing`` makes a renewal's UPDATE of ``numbers`` a HOT
update on PostgreSQL (no indexed column changes), and a fill factor of 80 leaves room in each
page for the new row version. The fill factor applies to pages written from now on; an
existing large table gets it on its next rewrite (``VACUUM FULL numbers``). See ADR 0012.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import didstore.db.types

revision = "0006_billing_schedule"
down_revision = "0005_partner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_schedule",
        sa.Column("number_id", sa.String(length=36), nullable=False),
        sa.Column("due_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["number_id"], ["numbers.id"], name=op.f("fk_billing_schedule_number_id_numbers")
        ),
        sa.PrimaryKeyConstraint("number_id", name=op.f("pk_billing_schedule")),
    )
    op.create_index(
        "ix_billing_schedule_due", "billing_schedule", ["due_at", "number_id"], unique=False
    )
    op.execute(
        "INSERT INTO billing_schedule (number_id, due_at) "
        "SELECT id, next_billing_date FROM numbers WHERE next_billing_date IS NOT NULL"
    )
    op.drop_index("ix_numbers_state_next_billing", table_name="numbers")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE numbers SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE numbers RESET (fillfactor)")
    op.create_index(
        "ix_numbers_state_next_billing", "numbers", ["state", "next_billing_date"], unique=False
    )
    op.drop_index("ix_billing_schedule_due", table_name="billing_schedule")
    op.drop_table("billing_schedule")
