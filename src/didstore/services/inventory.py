"""Stocking inventory (operator import) and searching it (customers)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, func, not_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import numbers
from didstore.domain.e164 import search_digits
from didstore.domain.errors import DomainError, InvalidInput
from didstore.domain.ids import new_uuid
from didstore.domain.lifecycle import NumberState
from didstore.services import audit
from didstore.services import inventory_search as search_index
from didstore.services.inventory_rows import CAPABILITIES, CSV_COLUMNS, read_csv, validate_row
from didstore.services.models import Actor, Number, Page
from didstore.services.ttl_cache import TTLCache

__all__ = [
    "CAPABILITIES",
    "CSV_COLUMNS",
    "ImportReport",
    "InventoryService",
    "RowError",
    "SearchFilters",
    "read_csv",
    "validate_row",
]

CHUNK = 1000
#: A search matching at most this many numbers gets an exact COUNT on every request.
EXACT_TOTAL_LIMIT = 2000
#: How long the total of a less selective search (a COUNT of thousands to ~1M rows,
#: 50-300 ms on PostgreSQL) is reused.
TOTAL_CACHE_SECONDS = 15.0
#: From this OFFSET on, a page nearer the end of the list is read backwards from the end
#: (position computed from the total, so it is consistent with the ``total`` answered).
REVERSE_SCAN_FROM = 10_000
#: From this OFFSET on, a counted search reads its page from the counter bucket holding it.
LOCATE_FROM = 2_000


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    e164: str
    error: str


@dataclass(slots=True)
class ImportReport:
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SearchFilters:
    country: str | None = None
    search: str | None = None
    exclude: tuple[str, ...] = ()
    #: only numbers with this capability (``CAPABILITIES``); the console's "type" filter
    capability: str | None = None


_TotalKey = tuple[str, str, tuple[str, ...], str]


class InventoryService:
    def __init__(
        self, db: Database, clock: Clock, *, total_cache_seconds: float = TOTAL_CACHE_SECONDS
    ) -> None:
        self.db = db
        self.clock = clock
        self._totals: TTLCache[_TotalKey, int] = TTLCache(total_cache_seconds, max_entries=4096)

    async def import_rows(
        self,
        actor: Actor,
        rows: Iterable[Mapping[str, Any]],
        *,
        dry_run: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Validate every row; insert the good ones in chunks, skipping numbers already stocked.

        A bad row is reported and never affects the others. Duplicates (in the file or in the
        database) are skipped, not errors.
        """
        report = ImportReport()
        seen: set[str] = set()
        batch: list[dict[str, Any]] = []
        now = self.clock.now()

        async def flush() -> None:
            if not batch:
                return
            created = await self._insert(batch, now, actor, dry_run)
            report.created += created
            report.skipped += len(batch) - created
            if progress is not None:
                progress(len(batch))
            batch.clear()

        for index, raw in enumerate(rows, start=1):
            try:
                values = validate_row(raw)
            except DomainError as exc:
                e164 = raw.get("e164") if isinstance(raw, Mapping) else None
                report.errors.append(RowError(index, str(e164 or ""), exc.message))
                if progress is not None:
                    progress(1)
                continue
            if values["e164"] in seen:
                report.skipped += 1
                continue
            seen.add(values["e164"])
            batch.append(values)
            if len(batch) >= CHUNK:
                await flush()
        await flush()
        return report

    async def _insert(
        self, batch: list[dict[str, Any]], now: Any, actor: Actor, dry_run: bool
    ) -> int:
        async with self.db.write() as conn:
            existing = set(
                (
                    await conn.execute(
                        select(numbers.c.e164).where(numbers.c.e164.in_([b["e164"] for b in batch]))
                    )
                ).scalars()
            )
            fresh = [
                {
                    **b,
                    "id": new_uuid(),
                    "state": NumberState.AVAILABLE.value,
                    "source": "inventory",
                    "created_at": now,
                    "updated_at": now,
                }
                for b in batch
                if b["e164"] not in existing
            ]
            if not fresh or dry_run:
                return len(fresh)
            created = await self._insert_ignoring_duplicates(conn, fresh)
            await audit.record(
                conn,
                actor,
                now,
                action="inventory.import",
                entity_type="inventory",
                after={"created": created, "first": fresh[0]["e164"], "last": fresh[-1]["e164"]},
            )
            return created

    async def _insert_ignoring_duplicates(
        self, conn: Connection, rows: list[dict[str, Any]]
    ) -> int:
        """ON CONFLICT DO NOTHING: a concurrent import of one number is a skip, not an error.

        Rows go in sorted by number, so concurrent imports of overlapping files take the
        unique-key locks in one order: otherwise PostgreSQL can deadlock two of them (each
        waiting on a number the other inserted first) and one import fails.
        """
        insert_fn = pg_insert if conn.dialect == "postgresql" else sqlite_insert
        stmt = insert_fn(numbers).on_conflict_do_nothing(index_elements=["e164"])
        ordered = sorted(rows, key=lambda r: str(r["e164"]))
        return await conn.execute_many(stmt, ordered)

    async def search(self, filters: SearchFilters, page: int, per_page: int) -> Page[Number]:
        """Available, unowned numbers (Vobiz §4.1): ``search`` is a substring of the digits,
        ``exclude`` prefixes are ANDed with everything else, ``total`` counts the filtered set.

        No pattern or one of up to 3 digits (``COUNTED_PATTERN``): ``total`` is exact, summed
        from the search counters, and a deep page starts in the counter bucket that holds it.
        A longer pattern: one bounded probe of the trigram index; ``total`` is exact whenever
        it matches at most ``EXACT_TOTAL_LIMIT`` numbers (or the page shows the end of the
        list), else it may come from a count at most ``TOTAL_CACHE_SECONDS`` old
        (docs/adr/0006-inventory-search.md, docs/adr/0016-search-index-and-renewals-at-scale.md).
        """
        conds = self._conditions(filters)
        offset = (page - 1) * per_page
        digits = search_digits(filters.search) if filters.search else ""
        country = filters.country.upper() if filters.country else None
        async with self.db.read() as conn:
            if search_index.counted(digits):
                buckets = await search_index.bucket_counts(conn, digits, country, filters.exclude)
                total = sum(n for _, n in buckets)
                if offset >= total:
                    rows = []
                else:
                    # a pattern is checked on the index entries first (deferred join even on
                    # page 1): a plain index scan would read every skipped row from the table
                    if offset >= LOCATE_FROM:
                        start, offset = search_index.locate(buckets, offset)
                        conds = [*conds, numbers.c.e164 >= start]
                    page_rows = _page_query(conds, per_page, offset, deferred=bool(digits))
                    rows = (await conn.execute(page_rows)).all()
                return Page([Number.from_row(r._mapping) for r in rows], page, per_page, total)
            # A bounded probe: one scan that stops after EXACT_TOTAL_LIMIT + 1 matches.
            if conn.dialect == "sqlite":
                found = await search_index.fts_probe(
                    conn, digits, country, filters.exclude, EXACT_TOTAL_LIMIT + 1
                )
            else:
                found = list(
                    (
                        await conn.execute(
                            select(numbers.c.e164).where(*conds).limit(EXACT_TOTAL_LIMIT + 1)
                        )
                    ).scalars()
                )
            if len(found) <= EXACT_TOTAL_LIMIT:
                # Selective: every match is known, so the total is exact and the page is a
                # slice of them (rows re-checked against the filter: reads are not one snapshot).
                wanted = sorted(found)[offset : offset + per_page]
                rows = (
                    (
                        await conn.execute(
                            select(numbers)
                            .where(numbers.c.e164.in_(wanted), *conds)
                            .order_by(numbers.c.e164)
                        )
                    ).all()
                    if wanted
                    else []
                )
                total = len(found)
            elif offset >= REVERSE_SCAN_FROM:
                # Deep page: with the total known, walk whichever end of the index is nearer.
                total = await self._cached_total(conn, filters, conds)
                from_end = total - offset - per_page
                if offset >= total:
                    rows = []
                elif from_end < offset:
                    rows = (
                        await conn.execute(
                            _page_query(
                                conds,
                                per_page + min(0, from_end),
                                max(0, from_end),
                                descending=True,
                            )
                        )
                    ).all()[::-1]
                else:
                    rows = (await conn.execute(_page_query(conds, per_page, offset))).all()
            else:
                rows = (await conn.execute(_page_query(conds, per_page, offset))).all()
                if rows and len(rows) < per_page:
                    total = offset + len(rows)  # this page holds the end of the list: exact
                else:
                    total = await self._cached_total(conn, filters, conds)
        return Page([Number.from_row(r._mapping) for r in rows], page, per_page, int(total))

    @staticmethod
    def _conditions(filters: SearchFilters) -> list[Any]:
        conds: list[Any] = [
            numbers.c.state == NumberState.AVAILABLE.value,
            numbers.c.reservation_id.is_(None),  # held numbers are not offered (ADR 0022)
        ]
        if filters.country:
            conds.append(numbers.c.country == filters.country.upper())
        if filters.search:
            digits = search_digits(filters.search)
            if digits:
                conds.append(numbers.c.e164.like(f"%{digits}%"))
        for prefix in filters.exclude:
            conds.append(not_(numbers.c.e164.like(f"+{prefix}%")))
        if filters.capability:
            if filters.capability not in CAPABILITIES:
                raise InvalidInput(f"type must be one of {', '.join(CAPABILITIES)}", field="type")
            conds.append(numbers.c[filters.capability].is_(True))
        return conds

    async def _cached_total(
        self, conn: Connection, filters: SearchFilters, conds: list[Any]
    ) -> int:
        """The exact count of a non-selective filter, reused for ``TOTAL_CACHE_SECONDS``."""
        key = _cache_key(filters)
        cached = self._totals.get(key)
        if cached is not None:
            return cached
        country, digits, exclude, capability = key
        if conn.dialect == "sqlite" and not capability:  # the trigram index, not a scan
            total = await search_index.fts_count(conn, digits, country or None, exclude)
        else:
            total = int(
                (
                    await conn.execute(select(func.count()).select_from(numbers).where(*conds))
                ).scalar_one()
            )
        self._totals.put(key, total)
        return total


def _cache_key(filters: SearchFilters) -> _TotalKey:
    digits = search_digits(filters.search) if filters.search else ""
    exclude = tuple(sorted(filters.exclude))
    return ((filters.country or "").upper(), digits, exclude, filters.capability or "")


def _page_query(
    conds: list[Any], limit: int, offset: int, *, descending: bool = False, deferred: bool = False
) -> Select[Any]:
    """One page in E.164 order (or reverse order). Past the first page this is a deferred
    join: the OFFSET walks a narrow index (state, [country,] e164) without touching the table,
    then only the page's rows are read, instead of reading and discarding ``offset`` rows."""
    order = numbers.c.e164.desc() if descending else numbers.c.e164
    if offset == 0 and not deferred:
        return select(numbers).where(*conds).order_by(order).limit(limit)
    keys = (
        select(numbers.c.e164.label("page_e164"))
        .where(*conds)
        .order_by(order)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    return select(numbers).join(keys, keys.c.page_e164 == numbers.c.e164).order_by(order)
