"""reservations: holds on available numbers (issue 13 item 3, ADR 0022)

Revision ID: 0013_reservations
Revises: 0012_rate_limits
Create Date: 2026-12-04

``reservations`` is one hold of one or more numbers by one account until ``expires_at``;
``reservation_numbers`` says what became of each number of it. The hold itself is three
columns of the number (``reservation_id``, ``reserved_by``, ``reserved_until``), set and
cleared by conditional UPDATEs of the number's row, so a hold, a purchase and another hold of
the same number serialise on that row: exactly one wins.

A held number is no longer in the searchable set: the search counters and (SQLite) the
trigram index of 0009 now count ``state = 'available' AND reservation_id IS NULL``, and their
update triggers also fire on a change of ``reservation_id``. Only those triggers are replaced
(PostgreSQL: the three functions and the update trigger; SQLite: the four triggers); the
counts themselves need no rebuild, as no number is held yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from didstore.db.types import UTCDateTime

revision = "0013_reservations"
down_revision = "0012_rate_limits"
branch_labels = None
depends_on = None

BUCKET = 6

# -- PostgreSQL: 0009's functions with the "searchable" condition ------------------------------


def _pg_upsert(changed: str) -> str:
    return f"""
    INSERT INTO search_counts (pattern, bucket, country, n)
    SELECT p.pattern, left(c.e164, {BUCKET}), c.country, sum(c.delta)::integer
    FROM ({changed}) AS c CROSS JOIN LATERAL didstore_search_patterns(c.e164) AS p(pattern)
    GROUP BY 1, 2, 3
    HAVING sum(c.delta) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (pattern, bucket, country) DO UPDATE SET n = search_counts.n + EXCLUDED.n;
    """


def _pg_functions(held: bool) -> dict[str, str]:
    free = " AND reservation_id IS NULL" if held else ""
    new_free = " AND NEW.reservation_id IS NULL" if held else ""
    old_free = " AND OLD.reservation_id IS NULL" if held else ""
    return {
        "didstore_search_counts_insert": _pg_upsert(
            f"SELECT e164, country, 1 AS delta FROM new_rows WHERE state = 'available'{free}"
        ),
        "didstore_search_counts_delete": _pg_upsert(
            f"SELECT e164, country, -1 AS delta FROM old_rows WHERE state = 'available'{free}"
        ),
        "didstore_search_counts_update": _pg_upsert(
            "SELECT NEW.e164 AS e164, NEW.country AS country, 1 AS delta"
            f" WHERE NEW.state = 'available'{new_free}"
            " UNION ALL SELECT OLD.e164, OLD.country, -1"
            f" WHERE OLD.state = 'available'{old_free}"
        ),
    }


def _pg_update_trigger(held: bool) -> str:
    if held:
        return (
            "AFTER UPDATE OF state, e164, country, reservation_id ON numbers FOR EACH ROW"
            " WHEN ((OLD.state = 'available' OR NEW.state = 'available') AND ("
            "OLD.state IS DISTINCT FROM NEW.state OR OLD.e164 IS DISTINCT FROM NEW.e164"
            " OR OLD.country IS DISTINCT FROM NEW.country"
            " OR (OLD.reservation_id IS NULL) <> (NEW.reservation_id IS NULL)))"
        )
    return (
        "AFTER UPDATE OF state, e164, country ON numbers FOR EACH ROW"
        " WHEN ((OLD.state = 'available' OR NEW.state = 'available') AND ("
        "OLD.state IS DISTINCT FROM NEW.state OR OLD.e164 IS DISTINCT FROM NEW.e164"
        " OR OLD.country IS DISTINCT FROM NEW.country))"
    )


def _pg(held: bool) -> None:
    for name, statement in _pg_functions(held).items():
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {statement} RETURN NULL; END $$;"
        )
    op.execute("DROP TRIGGER IF EXISTS numbers_search_update ON numbers")
    op.execute(
        f"CREATE TRIGGER numbers_search_update {_pg_update_trigger(held)}"
        " EXECUTE FUNCTION didstore_search_counts_update()"
    )


# -- SQLite: 0009's triggers, re-created with the condition added to their WHEN --------------
_TRIGGERS = (
    "numbers_search_insert",
    "numbers_search_delete",
    "numbers_search_update_out",
    "numbers_search_update_in",
)
_OLD_FREE = "(OLD.state = 'available' AND OLD.reservation_id IS NULL)"
_NEW_FREE = "(NEW.state = 'available' AND NEW.reservation_id IS NULL)"
_CHANGED = "(OLD.e164 IS NOT NEW.e164 OR OLD.country IS NOT NEW.country)"
_HELD_WHEN = {
    "numbers_search_insert": f"AFTER INSERT ON numbers WHEN {_NEW_FREE}",
    "numbers_search_delete": f"AFTER DELETE ON numbers WHEN {_OLD_FREE}",
    "numbers_search_update_out": (
        "AFTER UPDATE OF state, e164, country, reservation_id ON numbers"
        f" WHEN {_OLD_FREE} AND (NOT {_NEW_FREE} OR {_CHANGED})"
    ),
    "numbers_search_update_in": (
        "AFTER UPDATE OF state, e164, country, reservation_id ON numbers"
        f" WHEN {_NEW_FREE} AND (NOT {_OLD_FREE} OR {_CHANGED})"
    ),
}


def _sqlite_triggers() -> dict[str, str]:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND name IN ('" + "', '".join(_TRIGGERS) + "')"
        )
    ).all()
    return {str(name): str(sql) for name, sql in rows}


def _sqlite_replace_when(found: dict[str, str], whens: dict[str, str] | None) -> None:
    """Re-create each trigger with its body kept and its head (event and WHEN) replaced."""
    for name, sql in found.items():
        body = sql[sql.index(" BEGIN ") :]
        head = whens[name] if whens else _ORIGINAL_WHEN[name]
        op.execute(f"DROP TRIGGER {name}")
        op.execute(f"CREATE TRIGGER {name} {head}{body}")


_ORIGINAL_WHEN = {
    "numbers_search_insert": "AFTER INSERT ON numbers WHEN NEW.state = 'available'",
    "numbers_search_delete": "AFTER DELETE ON numbers WHEN OLD.state = 'available'",
    "numbers_search_update_out": (
        "AFTER UPDATE OF state, e164, country ON numbers WHEN OLD.state = 'available'"
        f" AND (NEW.state IS NOT 'available' OR {_CHANGED})"
    ),
    "numbers_search_update_in": (
        "AFTER UPDATE OF state, e164, country ON numbers WHEN NEW.state = 'available'"
        f" AND (OLD.state IS NOT 'available' OR {_CHANGED})"
    ),
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("main_account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'cancelled', 'purchased', 'expired')",
            name=op.f("ck_reservations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_reservations_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["main_account_id"],
            ["accounts.id"],
            name=op.f("fk_reservations_main_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
    )
    op.create_index("ix_reservations_account", "reservations", ["account_id", "created_at"])
    op.create_index("ix_reservations_main", "reservations", ["main_account_id", "created_at"])
    op.create_index("ix_reservations_status_expires", "reservations", ["status", "expires_at"])
    op.create_table(
        "reservation_numbers",
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("number_id", sa.String(length=36), nullable=False),
        sa.Column("e164", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "status IN ('held', 'purchased', 'cancelled', 'expired')",
            name=op.f("ck_reservation_numbers_status"),
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_numbers_reservation_id_reservations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reservation_id", "number_id", name=op.f("pk_reservation_numbers")),
    )
    op.create_index("ix_reservation_numbers_number", "reservation_numbers", ["number_id", "status"])
    # the hold on the number (nullable: no table rewrite)
    op.add_column("numbers", sa.Column("reservation_id", sa.String(length=36), nullable=True))
    op.add_column("numbers", sa.Column("reserved_by", sa.Integer(), nullable=True))
    op.add_column("numbers", sa.Column("reserved_until", UTCDateTime(), nullable=True))
    op.create_index(
        "ix_numbers_reservation_id",
        "numbers",
        ["reservation_id"],
        postgresql_where=sa.text("reservation_id IS NOT NULL"),
        sqlite_where=sa.text("reservation_id IS NOT NULL"),
    )
    if dialect == "sqlite":
        _sqlite_replace_when(_sqlite_triggers(), _HELD_WHEN)
    else:
        _pg(held=True)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_replace_when(_sqlite_triggers(), None)
    else:
        _pg(held=False)
    op.drop_index("ix_numbers_reservation_id", table_name="numbers")
    for name in ("reserved_until", "reserved_by", "reservation_id"):
        op.drop_column("numbers", name)  # SQLite 3.35+: no table rebuild (its triggers stay)
    op.drop_table("reservation_numbers")
    op.drop_table("reservations")
