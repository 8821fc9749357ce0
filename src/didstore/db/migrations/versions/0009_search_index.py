"""search index: exact inventory totals and deep pages from counts; FTS5 trigrams on SQLite

Revision ID: 0009_search_index
Revises: 0008_number_counts
Create Date: 2026-12-04

``search_counts`` holds, per (1-3 digit pattern or "" for all, 6-character E.164 prefix
"bucket", country), how many *available* numbers contain the pattern. Triggers on ``numbers``
keep it in the same transaction as every change, whichever code path makes it: on PostgreSQL
statement-level triggers over the transition tables for inserts and deletes (one set-based
upsert per statement, so a COPY import costs one statement, not one per row) and a row
trigger for the updates that move a number in or out of the available set; on SQLite row-level
triggers (SQLite has no statement triggers) that cut the number with ``json_each`` over a
constant list of cuts (a CTE is not allowed inside a SQLite trigger).

SQLite also gets ``numbers_fts``, an FTS5 table with the ``trigram`` tokenizer holding the
digits and country of every available number: a pattern of 3+ digits is then an index
lookup (``digits LIKE '%…%'``) instead of a scan of every number. It stores its own copy of
the digits (not a contentless table keyed by ``numbers.rowid``: a ``VACUUM`` may renumber the
rowids of a table without an INTEGER PRIMARY KEY) and is kept by the same triggers.
PostgreSQL already has a pg_trgm GIN index on ``e164`` (0001).

SQLite update triggers of 0008 and 0009 fire only for ``UPDATE OF`` the columns they watch:
without a column list SQLite evaluates every trigger's WHEN for every updated row, which made
a renewal chunk's UPDATE of 10,000 billing dates 7x slower. See ADR 0016.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_search_index"
down_revision = "0008_number_counts"
branch_labels = None
depends_on = None

BUCKET = 6  # characters of the E.164 prefix ("+91987")
MAX_PATTERN = 3
MAX_E164 = 16

# -- PostgreSQL ---------------------------------------------------------------------------------
_PG_PATTERNS = f"""
CREATE FUNCTION didstore_search_patterns(e164 text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ''
    UNION
    SELECT substr(e164, i, l)
    FROM generate_series(1, {MAX_PATTERN}) AS l, generate_series(2, length(e164)) AS i
    WHERE i + l - 1 <= length(e164)
$$;
"""


def _pg_upsert(changed: str) -> str:
    """One upsert of the count changes of ``changed`` (rows with a ``delta``), in key order
    (two transactions lock counter rows in the same order: no deadlock between them)."""
    return f"""
    INSERT INTO search_counts (pattern, bucket, country, n)
    SELECT p.pattern, left(c.e164, {BUCKET}), c.country, sum(c.delta)::integer
    FROM ({changed}) AS c CROSS JOIN LATERAL didstore_search_patterns(c.e164) AS p(pattern)
    GROUP BY 1, 2, 3
    HAVING sum(c.delta) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (pattern, bucket, country) DO UPDATE SET n = search_counts.n + EXCLUDED.n;
    """


_NEW = "SELECT e164, country, 1 AS delta FROM new_rows WHERE state = 'available'"
_OLD = "SELECT e164, country, -1 AS delta FROM old_rows WHERE state = 'available'"
_ROW = (
    "SELECT NEW.e164 AS e164, NEW.country AS country, 1 AS delta WHERE NEW.state = 'available'"
    " UNION ALL SELECT OLD.e164, OLD.country, -1 WHERE OLD.state = 'available'"
)
_PG_FUNCTIONS = {
    "didstore_search_counts_insert": _pg_upsert(_NEW),
    "didstore_search_counts_delete": _pg_upsert(_OLD),
    "didstore_search_counts_update": _pg_upsert(_ROW),
}
# Inserts and deletes: statement triggers over the transition table (a COPY import of 2M
# numbers is one set-based upsert). Updates: a row trigger, fired only when a number enters
# or leaves the available set (UPDATE OF + WHEN): a statement trigger would capture both
# transition tables of every UPDATE of numbers (a renewal chunk of 10,000 rows: 7x slower).
_PG_TRIGGERS = {
    "numbers_search_insert": (
        "AFTER INSERT ON numbers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        "didstore_search_counts_insert",
    ),
    "numbers_search_delete": (
        "AFTER DELETE ON numbers REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        "didstore_search_counts_delete",
    ),
    "numbers_search_update": (
        "AFTER UPDATE OF state, e164, country ON numbers FOR EACH ROW"
        " WHEN ((OLD.state = 'available' OR NEW.state = 'available') AND ("
        "OLD.state IS DISTINCT FROM NEW.state OR OLD.e164 IS DISTINCT FROM NEW.e164"
        " OR OLD.country IS DISTINCT FROM NEW.country))",
        "didstore_search_counts_update",
    ),
}

_PG_BACKFILL = f"""
INSERT INTO search_counts (pattern, bucket, country, n)
SELECT p.pattern, left(n.e164, {BUCKET}), n.country, count(*)
FROM numbers AS n CROSS JOIN LATERAL didstore_search_patterns(n.e164) AS p(pattern)
WHERE n.state = 'available'
GROUP BY 1, 2, 3
"""

# -- SQLite -------------------------------------------------------------------------------------
# The (start, length) cuts of a number, as a table-valued function (a CTE is not allowed in a
# SQLite trigger): "" once (start 2, length 0), then every 1-3 digit cut of the digits (they
# start at 2), encoded as start * 10 + length.
_CUT_CODES = [20] + [
    i * 10 + length for length in range(1, MAX_PATTERN + 1) for i in range(2, MAX_E164 + 1)
]
_POSITIONS = (
    "(SELECT value / 10 AS i, value % 10 AS l"
    f" FROM json_each('[{', '.join(map(str, _CUT_CODES))}]'))"
)
# A pattern is counted once per number: at its first occurrence only (instr finds the first).
_CUTS = (
    "FROM " + _POSITIONS + " p WHERE p.i + p.l - 1 <= length({r}.e164)"
    " AND instr(substr({r}.e164, 2), substr({r}.e164, p.i, p.l)) + 1 = p.i"
)


def _sqlite_add(r: str) -> str:
    return (
        "INSERT INTO search_counts (pattern, bucket, country, n)"
        f" SELECT substr({r}.e164, p.i, p.l), substr({r}.e164, 1, {BUCKET}), {r}.country, 1 "
        + _CUTS.format(r=r)
        + " ON CONFLICT (pattern, bucket, country) DO UPDATE SET n = n + 1;"
        f" INSERT INTO numbers_fts (digits, country) VALUES (substr({r}.e164, 2), {r}.country);"
    )


def _sqlite_sub(r: str) -> str:
    return (
        "UPDATE search_counts SET n = n - 1"
        f" WHERE bucket = substr({r}.e164, 1, {BUCKET}) AND country = {r}.country"
        f" AND pattern IN (SELECT substr({r}.e164, p.i, p.l) " + _CUTS.format(r=r) + ");"
        # the exact digits through the trigram index (no wildcard: the whole number)
        f" DELETE FROM numbers_fts WHERE digits LIKE substr({r}.e164, 2)"
        f" AND digits = substr({r}.e164, 2);"
    )


_CHANGED = "(OLD.e164 IS NOT NEW.e164 OR OLD.country IS NOT NEW.country)"
# "UPDATE OF": an UPDATE that sets none of these columns (a renewal's billing dates, a routing
# change) does not even evaluate the trigger's WHEN (7x cheaper per row than without).
_ON_UPDATE = "AFTER UPDATE OF state, e164, country ON numbers"
# The same for 0008's counter triggers (their WHEN and body unchanged).
_COUNTS_PLAIN = "AFTER UPDATE ON numbers"
_COUNTS_OF = "AFTER UPDATE OF state, owner_account_id, billing_account_id ON numbers"


def _rewrite_count_triggers(old: str, new: str) -> None:
    """Re-create 0008's ``numbers_counts_update_*`` SQLite triggers with ``old`` replaced."""
    bind = op.get_bind()
    found = bind.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            " AND name LIKE 'numbers_counts_update_%'"
        )
    ).all()
    for name, sql in found:
        op.execute(f"DROP TRIGGER {name}")
        op.execute(str(sql).replace(old, new))


_SQLITE_TRIGGERS = {
    "numbers_search_insert": ("AFTER INSERT ON numbers WHEN NEW.state = 'available'", "NEW"),
    "numbers_search_delete": ("AFTER DELETE ON numbers WHEN OLD.state = 'available'", "OLD"),
    "numbers_search_update_out": (
        f"{_ON_UPDATE} WHEN OLD.state = 'available'"
        f" AND (NEW.state IS NOT 'available' OR {_CHANGED})",
        "OLD",
    ),
    "numbers_search_update_in": (
        f"{_ON_UPDATE} WHEN NEW.state = 'available'"
        f" AND (OLD.state IS NOT 'available' OR {_CHANGED})",
        "NEW",
    ),
}

_SQLITE_BACKFILL = (
    "INSERT INTO search_counts (pattern, bucket, country, n)"
    f" SELECT substr(n.e164, p.i, p.l), substr(n.e164, 1, {BUCKET}), n.country, count(*)"
    " FROM numbers n, " + _POSITIONS + " p WHERE n.state = 'available'"
    " AND p.i + p.l - 1 <= length(n.e164)"
    " AND instr(substr(n.e164, 2), substr(n.e164, p.i, p.l)) + 1 = p.i"
    " GROUP BY 1, 2, 3"
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "search_counts",
        sa.Column("pattern", sa.String(length=3), nullable=False),
        sa.Column("bucket", sa.String(length=6), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("n", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("pattern", "bucket", "country", name=op.f("pk_search_counts")),
    )
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE numbers_fts USING fts5("
            "digits, country UNINDEXED, tokenize = 'trigram', detail = 'none')"
        )
        op.execute(_SQLITE_BACKFILL)
        op.execute(
            "INSERT INTO numbers_fts (digits, country)"
            " SELECT substr(e164, 2), country FROM numbers WHERE state = 'available'"
        )
        for name, (when, ref) in _SQLITE_TRIGGERS.items():
            body = _sqlite_add(ref) if ref == "NEW" else _sqlite_sub(ref)
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")
        _rewrite_count_triggers(_COUNTS_PLAIN, _COUNTS_OF)
    else:
        op.execute(_PG_PATTERNS)
        for name, statement in _PG_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$"
                f" BEGIN {statement} RETURN NULL; END $$;"
            )
        op.execute(_PG_BACKFILL)
        for name, (when, function) in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION {function}()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS numbers_fts")
        _rewrite_count_triggers(_COUNTS_OF, _COUNTS_PLAIN)
    else:
        for name in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON numbers")
        for name in _PG_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        op.execute("DROP FUNCTION IF EXISTS didstore_search_patterns(text)")
    op.drop_table("search_counts")
