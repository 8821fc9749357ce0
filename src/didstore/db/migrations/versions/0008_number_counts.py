"""number counts: each account's owned and paid-for numbers, kept by the database itself

Revision ID: 0008_number_counts
Revises: 0007_owned_list_counts
Create Date: 2026-12-04

The owned list's exact ``total`` was a COUNT over every number of the account (thousands of
index entries per request). ``number_counts`` holds, per account, how many numbers it owns
(``owned``: ``owner_account_id``) and pays for (``paid``: ``billing_account_id``) in an owned
state (active, pending_release, suspended, blocked). Triggers on ``numbers`` keep it in the
same transaction as every change, whichever code path makes it, on both databases; a total
is then the counter minus the few numbers whose release or grace has already passed but which
the job has not yet moved (``ix_numbers_*_transient``, partial indexes).

SQLite's account indexes also get the state columns, so a deep page skips rows from the
index alone (PostgreSQL has them as INCLUDE columns since 0007). See ADR 0013.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_number_counts"
down_revision = "0007_owned_list_counts"
branch_labels = None
depends_on = None

OWNED = "('active', 'pending_release', 'suspended', 'blocked')"
TRANSIENT = "state IN ('pending_release', 'suspended')"

_PG_FUNCTION = f"""
CREATE FUNCTION didstore_number_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_owned boolean := TG_OP <> 'INSERT' AND OLD.state IN {OWNED};
    is_owned boolean := TG_OP <> 'DELETE' AND NEW.state IN {OWNED};
    old_owner integer := CASE WHEN was_owned THEN OLD.owner_account_id END;
    old_payer integer := CASE WHEN was_owned THEN OLD.billing_account_id END;
    new_owner integer := CASE WHEN is_owned THEN NEW.owner_account_id END;
    new_payer integer := CASE WHEN is_owned THEN NEW.billing_account_id END;
BEGIN
    IF old_owner IS DISTINCT FROM new_owner THEN
        IF old_owner IS NOT NULL THEN
            UPDATE number_counts SET owned = owned - 1 WHERE account_id = old_owner;
        END IF;
        IF new_owner IS NOT NULL THEN
            INSERT INTO number_counts (account_id, owned, paid) VALUES (new_owner, 1, 0)
            ON CONFLICT (account_id) DO UPDATE SET owned = number_counts.owned + 1;
        END IF;
    END IF;
    IF old_payer IS DISTINCT FROM new_payer THEN
        IF old_payer IS NOT NULL THEN
            UPDATE number_counts SET paid = paid - 1 WHERE account_id = old_payer;
        END IF;
        IF new_payer IS NOT NULL THEN
            INSERT INTO number_counts (account_id, owned, paid) VALUES (new_payer, 0, 1)
            ON CONFLICT (account_id) DO UPDATE SET paid = number_counts.paid + 1;
        END IF;
    END IF;
    RETURN NULL;
END $$;
"""

# Deferred to the commit: a counter row is then locked only while its transaction commits,
# not from a purchase's first statement on (every purchase of one account updates one row).
_DEFERRED = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
_PG_TRIGGERS = [
    f"CREATE CONSTRAINT TRIGGER numbers_counts_insert AFTER INSERT ON numbers {_DEFERRED}"
    f" WHEN (NEW.state IN {OWNED}) EXECUTE FUNCTION didstore_number_counts()",
    f"CREATE CONSTRAINT TRIGGER numbers_counts_delete AFTER DELETE ON numbers {_DEFERRED}"
    f" WHEN (OLD.state IN {OWNED}) EXECUTE FUNCTION didstore_number_counts()",
    # a renewal rewrites the state of thousands of rows without changing it: WHEN skips them
    f"CREATE CONSTRAINT TRIGGER numbers_counts_update AFTER UPDATE ON numbers {_DEFERRED}"
    " WHEN ("
    " OLD.state IS DISTINCT FROM NEW.state"
    " OR OLD.owner_account_id IS DISTINCT FROM NEW.owner_account_id"
    " OR OLD.billing_account_id IS DISTINCT FROM NEW.billing_account_id"
    ") EXECUTE FUNCTION didstore_number_counts()",
]


def _sqlite_add(column: str, ref: str) -> str:
    """SQLite trigger statements: count one more ``column`` for account ``ref``."""
    return (
        f"INSERT OR IGNORE INTO number_counts (account_id, owned, paid) VALUES ({ref}, 0, 0);"
        f" UPDATE number_counts SET {column} = {column} + 1 WHERE account_id = {ref};"
    )


def _sqlite_sub(column: str, ref: str) -> str:
    return f" UPDATE number_counts SET {column} = {column} - 1 WHERE account_id = {ref};"


# SQLite triggers have no IF: each movement is its own trigger with its own WHEN.
_SQLITE_TRIGGERS = {
    "numbers_counts_insert_owned": (
        f"AFTER INSERT ON numbers WHEN NEW.state IN {OWNED} AND NEW.owner_account_id IS NOT NULL",
        _sqlite_add("owned", "NEW.owner_account_id"),
    ),
    "numbers_counts_insert_paid": (
        f"AFTER INSERT ON numbers WHEN NEW.state IN {OWNED} AND NEW.billing_account_id IS NOT NULL",
        _sqlite_add("paid", "NEW.billing_account_id"),
    ),
    "numbers_counts_delete_owned": (
        f"AFTER DELETE ON numbers WHEN OLD.state IN {OWNED} AND OLD.owner_account_id IS NOT NULL",
        _sqlite_sub("owned", "OLD.owner_account_id"),
    ),
    "numbers_counts_delete_paid": (
        f"AFTER DELETE ON numbers WHEN OLD.state IN {OWNED} AND OLD.billing_account_id IS NOT NULL",
        _sqlite_sub("paid", "OLD.billing_account_id"),
    ),
}
for _column, _ref in (("owned", "owner_account_id"), ("paid", "billing_account_id")):
    _old = f"(CASE WHEN OLD.state IN {OWNED} THEN OLD.{_ref} END)"
    _new = f"(CASE WHEN NEW.state IN {OWNED} THEN NEW.{_ref} END)"
    _SQLITE_TRIGGERS[f"numbers_counts_update_{_column}_out"] = (
        f"AFTER UPDATE ON numbers WHEN {_old} IS NOT NULL AND {_old} IS NOT {_new}",
        _sqlite_sub(_column, f"OLD.{_ref}"),
    )
    _SQLITE_TRIGGERS[f"numbers_counts_update_{_column}_in"] = (
        f"AFTER UPDATE ON numbers WHEN {_new} IS NOT NULL AND {_old} IS NOT {_new}",
        _sqlite_add(_column, f"NEW.{_ref}"),
    )

_BACKFILL = f"""
INSERT INTO number_counts (account_id, owned, paid)
SELECT a.id,
       (SELECT count(*) FROM numbers n WHERE n.owner_account_id = a.id AND n.state IN {OWNED}),
       (SELECT count(*) FROM numbers n WHERE n.billing_account_id = a.id AND n.state IN {OWNED})
FROM accounts a
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "number_counts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("owned", sa.Integer(), server_default="0", nullable=False),
        sa.Column("paid", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_number_counts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_number_counts")),
    )
    for name, column in (
        ("ix_numbers_owner_transient", "owner_account_id"),
        ("ix_numbers_billing_transient", "billing_account_id"),
    ):
        op.create_index(
            name,
            "numbers",
            [column, "state", "cooldown_ends_at", "grace_ends_at"],
            sqlite_where=sa.text(TRANSIENT),
            postgresql_where=sa.text(TRANSIENT),
        )
    if dialect == "sqlite":
        for name, column in (
            ("ix_numbers_billing_e164", "billing_account_id"),
            ("ix_numbers_owner_e164", "owner_account_id"),
        ):
            op.drop_index(name, table_name="numbers")
            op.create_index(
                name, "numbers", [column, "e164", "state", "cooldown_ends_at", "grace_ends_at"]
            )
        for name, (when, body) in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
    else:
        op.execute(_PG_FUNCTION)
        for statement in _PG_TRIGGERS:
            op.execute(statement)
    op.execute(_BACKFILL)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        for name, column in (
            ("ix_numbers_billing_e164", "billing_account_id"),
            ("ix_numbers_owner_e164", "owner_account_id"),
        ):
            op.drop_index(name, table_name="numbers")
            op.create_index(name, "numbers", [column, "e164"])
    else:
        for name in ("numbers_counts_insert", "numbers_counts_delete", "numbers_counts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON numbers")
        op.execute("DROP FUNCTION IF EXISTS didstore_number_counts()")
    op.drop_index("ix_numbers_owner_transient", table_name="numbers")
    op.drop_index("ix_numbers_billing_transient", table_name="numbers")
    op.drop_table("number_counts")
