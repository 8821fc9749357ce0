"""rate limits: the request counters the server processes share (ADR 0015)

Revision ID: 0012_rate_limits
Revises: 0008_number_counts
Create Date: 2026-12-04

One row per limited key (a credential, a client address, a failed-authentication subject),
updated by one UPSERT per request on PostgreSQL (``services/rate_limits.py``). The table is
UNLOGGED there: losing the counters in a crash only resets the limits. SQLite keeps its
counters in memory (one server process) and gets the table only so both schemas match.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_rate_limits"
down_revision = "0011_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("prev_hits", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limits")),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
