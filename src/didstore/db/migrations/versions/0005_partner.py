"""partner API: customer profile fields, numbers.partner_id, kept partner reports

Revision ID: 0005_partner
Revises: 0003_billing
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import didstore.db.types

revision = "0005_partner"
down_revision = "0003_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone", sa.String(length=16), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("country", sa.String(length=2), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("company", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("password_hash", sa.String(length=200), nullable=True))
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_numbers_partner_id_accounts"), "accounts", ["partner_id"], ["id"]
        )
        batch_op.create_index("ix_numbers_partner_e164", ["partner_id", "e164"], unique=False)
    op.create_table(
        "partner_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("generated_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["accounts.id"], name=op.f("fk_partner_reports_partner_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_reports")),
        sa.UniqueConstraint("partner_id", "kind", "period", name="uq_partner_reports_period"),
    )


def downgrade() -> None:
    op.drop_table("partner_reports")
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_numbers_partner_e164")
        batch_op.drop_constraint(batch_op.f("fk_numbers_partner_id_accounts"), type_="foreignkey")
        batch_op.drop_column("partner_id")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("password_hash")
        batch_op.drop_column("company")
        batch_op.drop_column("country")
        batch_op.drop_column("phone")
