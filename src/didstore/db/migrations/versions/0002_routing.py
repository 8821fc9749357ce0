"""routing: trunks, applications, per-number call statistics

Revision ID: 0002_routing
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import didstore.db.types

revision = "0002_routing"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trunks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trunk_domain", sa.String(length=255), nullable=False),
        sa.Column("trunk_status", sa.String(length=16), nullable=False),
        sa.Column("trunk_direction", sa.String(length=16), nullable=False),
        sa.Column("secure", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("transport", sa.String(length=8), nullable=False),
        sa.Column("concurrent_calls_limit", sa.Integer(), nullable=False),
        sa.Column("cps_limit", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("recording", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "enable_transcription", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("pii_redaction", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("pii_entity_types", sa.String(length=500), nullable=True),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("webhook_method", sa.String(length=8), nullable=False),
        sa.Column(
            "recording_webhook_enabled",
            sa.Boolean(),
            server_default=sa.text("false"),
            nullable=False,
        ),
        sa.Column("inbound_destination", sa.String(length=500), nullable=True),
        sa.Column("credential_uuid", sa.String(length=36), nullable=True),
        sa.Column("ipacl_uuid", sa.String(length=36), nullable=True),
        sa.Column("primary_uri_uuid", sa.String(length=36), nullable=True),
        sa.Column("fallback_uri_uuid", sa.String(length=36), nullable=True),
        sa.Column("created_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_trunks_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trunks")),
    )
    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trunks_account_created", ["account_id", "created_at"], unique=False
        )

    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("app_name", sa.String(length=200), nullable=False),
        sa.Column("answer_url", sa.String(length=2000), nullable=False),
        sa.Column("answer_method", sa.String(length=8), nullable=False),
        sa.Column("hangup_url", sa.String(length=2000), nullable=False),
        sa.Column("hangup_method", sa.String(length=8), nullable=False),
        sa.Column("fallback_answer_url", sa.String(length=2000), nullable=True),
        sa.Column("fallback_method", sa.String(length=8), nullable=False),
        sa.Column("message_url", sa.String(length=2000), nullable=True),
        sa.Column("message_method", sa.String(length=8), nullable=False),
        sa.Column("application_type", sa.String(length=16), nullable=False),
        sa.Column("default_app", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "default_endpoint_app", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "default_number_app", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "log_incoming_message", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("public_uri", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("sub_account", sa.String(length=16), nullable=True),
        sa.Column("created_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", didstore.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_applications_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_account_created", ["account_id", "created_at"], unique=False
        )

    op.create_table(
        "number_call_stats",
        sa.Column("number_id", sa.String(length=36), nullable=False),
        sa.Column("hour", didstore.db.types.UTCDateTime(), nullable=False),
        sa.Column("total_calls", sa.Integer(), server_default="0", nullable=False),
        sa.Column("answered_calls", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_duration_seconds", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["number_id"], ["numbers.id"], name=op.f("fk_number_call_stats_number_id_numbers")
        ),
        sa.PrimaryKeyConstraint("number_id", "hour", name=op.f("pk_number_call_stats")),
    )
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.create_index("ix_numbers_trunk_id", ["trunk_id"], unique=False)
        batch_op.create_index("ix_numbers_application_id", ["application_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.drop_index("ix_numbers_application_id")
        batch_op.drop_index("ix_numbers_trunk_id")
    op.drop_table("number_call_stats")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_account_created")
    op.drop_table("applications")
    with op.batch_alter_table("trunks", schema=None) as batch_op:
        batch_op.drop_index("ix_trunks_account_created")
    op.drop_table("trunks")
