"""events: the transactional outbox of lifecycle transitions and money outcomes

Revision ID: 0011_events
Revises: 0008_number_counts
Create Date: 2026-12-04

``events`` holds one row per event, written in the same transaction as the change it
describes. ``seq`` is the insertion order; ``id`` is the position the feed exposes, given in
commit order so a reader never skips an id that commits later with a smaller value
(ADR 0020): on SQLite (one writer at a time) a trigger copies ``seq`` into ``id`` at insert;
on PostgreSQL ``id`` stays NULL until the sequencer numbers committed rows from the
``event_position`` counter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from didstore.db.types import UTCDateTime

revision = "0011_events"
down_revision = "0008_number_counts"
branch_labels = None
depends_on = None

_SQLITE_TRIGGER = """
CREATE TRIGGER events_position AFTER INSERT ON events WHEN NEW.id IS NULL
BEGIN
    UPDATE events SET id = NEW.seq WHERE seq = NEW.seq;
END
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.BigInteger(), nullable=True),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("account_id", sa.String(length=16), nullable=True),
        sa.Column("main_account_id", sa.String(length=16), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("id", name=op.f("uq_events_id")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_account_id", "events", ["account_id", "id"])
    op.create_index("ix_events_main_account_id", "events", ["main_account_id", "id"])
    op.create_index("ix_events_created_at", "events", ["created_at"])
    op.create_index(
        "ix_events_unpositioned",
        "events",
        ["seq"],
        postgresql_where=sa.text("id IS NULL"),
        sqlite_where=sa.text("id IS NULL"),
    )
    op.create_table(
        "event_position",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_position")),
    )
    op.execute("INSERT INTO event_position (id, last) VALUES (1, 0)")
    if dialect == "sqlite":
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_position")
    op.drop_table("event_position")
    op.drop_index("ix_events_unpositioned", table_name="events")
    op.drop_index("ix_events_created_at", table_name="events")
    op.drop_index("ix_events_main_account_id", table_name="events")
    op.drop_index("ix_events_account_id", table_name="events")
    op.drop_table("events")
