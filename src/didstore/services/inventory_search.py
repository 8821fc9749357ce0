"""The queries behind inventory search that use the search index (migration 0009, ADR 0016).

- ``search_counts`` answers the exact ``total`` of every filter whose pattern has at most
  ``COUNTED_PATTERN`` digits (or none): a sum over a few thousand counter rows, instead of a
  COUNT of up to millions of numbers. Its per-bucket sums also say in which bucket (6-character
  E.164 prefix) a deep page starts, so the page is read from there, not walked from the first
  number.
- On SQLite, ``numbers_fts`` (FTS5 trigram index of the available numbers' digits) finds the
  numbers matching a longer pattern without a scan. PostgreSQL uses its pg_trgm GIN index on
  ``e164`` through the ordinary ``LIKE`` condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import column, func, not_, select, table

from didstore.db.database import Connection
from didstore.db.tables import numbers, search_counts
from didstore.domain.lifecycle import NumberState

#: Patterns of up to this many digits (and no pattern) are counted in ``search_counts``.
COUNTED_PATTERN = 3
#: Characters of the E.164 prefix a counter bucket covers (the migration's ``BUCKET``).
BUCKET = 6

_FTS = table("numbers_fts", column("digits"), column("country"))


def counted(digits: str) -> bool:
    """Whether a search for ``digits`` ("" = none) has its counts in ``search_counts``."""
    return len(digits) <= COUNTED_PATTERN


def _minimal(prefixes: Sequence[str]) -> list[str]:
    """The exclusion prefixes that are not extensions of another one (same excluded set)."""
    ordered = sorted(set(prefixes), key=len)
    kept: list[str] = []
    for p in ordered:
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


async def bucket_counts(
    conn: Connection, digits: str, country: str | None, exclude: Sequence[str]
) -> list[tuple[str, int]]:
    """``(bucket, matching available numbers)`` in E.164 order, for a counted filter: the
    buckets an exclusion prefix covers are left out, and the numbers of a longer exclusion
    prefix (inside one bucket) are subtracted from its bucket by a count of that range."""
    sc = search_counts.c
    query = select(sc.bucket, func.sum(sc.n)).where(sc.pattern == digits)
    if country:
        query = query.where(sc.country == country)
    rows = (await conn.execute(query.group_by(sc.bucket).order_by(sc.bucket))).all()
    prefixes = ["+" + p for p in _minimal(exclude)]
    whole = tuple(p for p in prefixes if len(p) <= BUCKET)
    counts = {str(b): int(n) for b, n in rows if int(n) > 0 and not str(b).startswith(whole)}
    for prefix in prefixes:
        bucket = prefix[:BUCKET]
        if len(prefix) <= BUCKET or bucket not in counts:
            continue
        conds = [
            numbers.c.state == NumberState.AVAILABLE.value,
            numbers.c.reservation_id.is_(None),  # as the counters (migration 0013)
            numbers.c.e164.like(f"{prefix}%"),
        ]
        if country:
            conds.append(numbers.c.country == country)
        if digits:
            conds.append(numbers.c.e164.like(f"%{digits}%"))
        inside = (
            await conn.execute(select(func.count()).select_from(numbers).where(*conds))
        ).scalar_one()
        counts[bucket] -= int(inside)
    return [(b, n) for b, n in sorted(counts.items()) if n > 0]


def locate(buckets: Sequence[tuple[str, int]], offset: int) -> tuple[str, int]:
    """The bucket holding the ``offset``-th match (0-based) and the offset inside it."""
    before = 0
    for bucket, n in buckets:
        if before + n > offset:
            return bucket, offset - before
        before += n
    raise ValueError("offset past the last match")


def _fts_conditions(digits: str, country: str | None, exclude: Sequence[str]) -> list[Any]:
    conds: list[Any] = [_FTS.c.digits.like(f"%{digits}%")]
    if country:
        conds.append(_FTS.c.country == country)
    conds.extend(not_(_FTS.c.digits.like(f"{prefix}%")) for prefix in exclude)
    return conds


async def fts_probe(
    conn: Connection, digits: str, country: str | None, exclude: Sequence[str], limit: int
) -> list[str]:
    """SQLite: up to ``limit`` available numbers containing ``digits`` (3 or more), from the
    trigram index, with the country and exclusion filters applied (``+E.164`` strings)."""
    query = select(_FTS.c.digits).where(*_fts_conditions(digits, country, exclude))
    return ["+" + str(d) for d in (await conn.execute(query.limit(limit))).scalars()]


async def fts_count(
    conn: Connection, digits: str, country: str | None, exclude: Sequence[str]
) -> int:
    """SQLite: how many available numbers contain ``digits`` (3 or more), by the trigram
    index (a 4-digit pattern matching tens of thousands of numbers: ~50 ms, not a scan)."""
    query = select(func.count()).select_from(_FTS).where(*_fts_conditions(digits, country, exclude))
    return int((await conn.execute(query)).scalar_one())
