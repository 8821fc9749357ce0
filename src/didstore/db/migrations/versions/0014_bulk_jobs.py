"""bulk jobs: an asynchronous operation over many numbers, and its result per number

Revision ID: 0014_bulk_jobs
Revises: 0012_rate_limits
Create Date: 2026-12-04

``bulk_jobs`` holds one row per job (what to do, for whom, its state); ``bulk_job_items`` one
row per number of a job, ``pending`` until the job runner does it. An item's final state is
written in the same transaction as the change to its number (ADR 0023), so a job resumed
after a crash never does a number twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from didstore.db.types import UTCDateTime

revision = "0014_bulk_jobs"
down_revision = "0013_reservations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("actor", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'cancelled')",
            name=op.f("ck_bulk_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_bulk_jobs_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_jobs")),
    )
    op.create_index("ix_bulk_jobs_account_id", "bulk_jobs", ["account_id", "created_at"])
    op.create_index("ix_bulk_jobs_status", "bulk_jobs", ["status"])
    op.create_table(
        "bulk_job_items",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("e164", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=48), nullable=True),
        sa.Column("error_message", sa.String(length=500), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_bulk_job_items_status"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["bulk_jobs.id"],
            name=op.f("fk_bulk_job_items_job_id_bulk_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "seq", name=op.f("pk_bulk_job_items")),
        sa.UniqueConstraint("job_id", "e164", name="uq_bulk_job_items_job_e164"),
    )
    op.create_index("ix_bulk_job_items_status", "bulk_job_items", ["job_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_bulk_job_items_status", table_name="bulk_job_items")
    op.drop_table("bulk_job_items")
    op.drop_index("ix_bulk_jobs_status", table_name="bulk_jobs")
    op.drop_index("ix_bulk_jobs_account_id", table_name="bulk_jobs")
    op.drop_table("bulk_jobs")
