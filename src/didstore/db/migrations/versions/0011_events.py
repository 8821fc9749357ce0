"""events: the transactional outbox of lifecycle transitions and money outcomes, webhook
endpoints and deliveries, and the numbers' deletion lock

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
down_revision = "0010_plivo_alias"
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
    if dialect == "sqlite":
        op.execute(_SQLITE_TRIGGER)
    _webhooks()
    # the deletion lock (issue 13 item 6): nullable, so no table rewrite
    op.add_column("numbers", sa.Column("deletion_locked_at", UTCDateTime(), nullable=True))
    op.add_column("numbers", sa.Column("deletion_locked_by", sa.String(length=32), nullable=True))


def _webhooks() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("previous_secret", sa.String(length=64), nullable=True),
        sa.Column("previous_secret_until", UTCDateTime(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_reason", sa.String(length=200), nullable=True),
        sa.Column("failed_deliveries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cursor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_webhook_endpoints_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index("ix_webhook_endpoints_account_id", "webhook_endpoints", ["account_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("endpoint_id", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("first_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')",
            name=op.f("ck_webhook_deliveries_status"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_due", "webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.String(length=36), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index("ix_webhook_attempts_delivery_id", "webhook_attempts", ["delivery_id", "id"])


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both (SQLite >= 3.35): a batch copy of ``numbers`` would
    # drop its 0008 triggers
    op.drop_column("numbers", "deletion_locked_by")
    op.drop_column("numbers", "deletion_locked_at")
    op.drop_table("webhook_attempts")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_endpoints")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_position")
    op.drop_table("event_position")
    op.drop_index("ix_events_unpositioned", table_name="events")
    op.drop_index("ix_events_created_at", table_name="events")
    op.drop_index("ix_events_main_account_id", table_name="events")
    op.drop_index("ix_events_account_id", table_name="events")
    op.drop_table("events")
