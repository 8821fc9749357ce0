"""plivo facade: accounts.plivo_auth_id, numbers.alias and numbers.number_type

Revision ID: 0010_plivo_alias
Revises: 0008_number_counts
Create Date: 2026-12-04

Every account answers to a 20-character Plivo-style alias (``MA``/``SA`` + 18 characters,
``domain.ids.plivo_auth_id``), unique, backfilled here for existing accounts with the same
function the code uses for new ones. Numbers get ``alias`` (Plivo's free-text label) and
``number_type`` (local, mobile, tollfree, national: Plivo's ``type`` filter), the latter
backfilled from the numbering plan. See ADR 0018.

SQLite cannot make an existing column NOT NULL without copying the table (which the foreign
keys into ``accounts`` forbid with data in it), so there the column is added NOT NULL with a
``''`` default that the backfill overwrites; PostgreSQL adds it nullable, backfills, then
sets NOT NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from didstore.domain.e164 import number_type
from didstore.domain.ids import plivo_auth_id

revision = "0010_plivo_alias"
down_revision = "0009_search_index"
branch_labels = None
depends_on = None

_BATCH = 5000


def _backfill_accounts(bind: sa.Connection) -> None:
    rows = bind.execute(sa.text("SELECT id, auth_id, kind FROM accounts")).all()
    if rows:
        bind.execute(
            sa.text("UPDATE accounts SET plivo_auth_id = :alias WHERE id = :id"),
            [{"id": r.id, "alias": plivo_auth_id(r.auth_id, r.kind)} for r in rows],
        )


def _backfill_number_types(bind: sa.Connection) -> None:
    """Only numbers that are not ``local`` (the column default) are written."""
    last = ""
    while True:
        rows = bind.execute(
            sa.text("SELECT id, e164 FROM numbers WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            return
        changes = [
            {"id": r.id, "kind": kind} for r in rows if (kind := number_type(r.e164)) != "local"
        ]
        if changes:
            bind.execute(sa.text("UPDATE numbers SET number_type = :kind WHERE id = :id"), changes)
        last = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        if sqlite:
            batch_op.add_column(
                sa.Column("plivo_auth_id", sa.String(length=20), nullable=False, server_default="")
            )
        else:
            batch_op.add_column(sa.Column("plivo_auth_id", sa.String(length=20), nullable=True))
    _backfill_accounts(bind)
    if not sqlite:
        op.alter_column("accounts", "plivo_auth_id", nullable=False)
    op.create_index("ix_accounts_plivo_auth_id", "accounts", ["plivo_auth_id"], unique=True)
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alias", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("number_type", sa.String(length=10), nullable=False, server_default="local")
        )
    _backfill_number_types(bind)


def downgrade() -> None:
    with op.batch_alter_table("numbers", schema=None) as batch_op:
        batch_op.drop_column("number_type")
        batch_op.drop_column("alias")
    op.drop_index("ix_accounts_plivo_auth_id", table_name="accounts")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("plivo_auth_id")
