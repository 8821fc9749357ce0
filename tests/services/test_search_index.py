"""The search index (migration 0009, ADR 0016): ``search_counts`` always equals a count of the
available numbers themselves (and SQLite's FTS5 table holds exactly their digits), whichever
statement changes them; and searches answered from it equal a plain filter of the numbers."""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from didstore.db.tables import numbers, search_counts
from didstore.domain.e164 import from_body
from didstore.services import inventory
from didstore.services.inventory import SearchFilters
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, US_NUMBERS, AccountHandle, make_account, stock
from tests.support import TestServices

# valid Indian mobile numbers spread over 6 counter buckets ("+91910", "+91923", ...)
SPREAD = [f"+919{b}0{n:06d}" for b in (10, 23, 45, 67, 81, 99) for n in (12, 345, 1234, 77777)]


def _buy(buyer: AccountHandle, e164: str, services: TestServices) -> Any:
    account = services.accounts.get(buyer.auth_id)
    return services.numbers.purchase(CLI, account, from_body(e164))


def _truth(rows: list[tuple[str, str]]) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for e164, country in rows:
        digits = e164[1:]
        cuts = {""} | {digits[i : i + n] for n in (1, 2, 3) for i in range(len(digits) - n + 1)}
        for pattern in cuts:
            counts[(pattern, e164[:6], country)] += 1
    return counts


def assert_index_matches(state: TestServices) -> int:
    """The counters (and SQLite's FTS rows) equal the available numbers; returns how many."""
    with state.db.read() as conn:
        available = [
            (str(e), str(c))
            for e, c in conn.execute(
                select(numbers.c.e164, numbers.c.country).where(numbers.c.state == "available")
            ).all()
        ]
        kept = {
            (p, b, c): n
            for p, b, c, n in conn.execute(
                select(
                    search_counts.c.pattern,
                    search_counts.c.bucket,
                    search_counts.c.country,
                    search_counts.c.n,
                )
            ).all()
            if n != 0
        }
        if state.db.dialect == "sqlite":
            fts = sorted(
                (str(d), str(c))
                for d, c in conn.execute(text("SELECT digits, country FROM numbers_fts")).all()
            )
            assert fts == sorted((e[1:], c) for e, c in available)
    assert kept == dict(_truth(available))
    return len(available)


def test_counts_follow_imports_purchases_releases_and_any_statement(
    state: TestServices,
) -> None:
    assert assert_index_matches(state) == 0
    stock(state, IN_NUMBERS[:10] + SPREAD)
    stock(state, US_NUMBERS[:10], currency="USD")
    assert assert_index_matches(state) == 20 + len(SPREAD)
    buyer = make_account(state, balance=100_000)
    account = state.accounts.get(buyer.auth_id)
    for e in (IN_NUMBERS[0], SPREAD[0], SPREAD[5]):
        state.numbers.purchase(CLI, account, from_body(e))
    assert assert_index_matches(state) == 17 + len(SPREAD)
    state.numbers.release(CLI, account, from_body(SPREAD[0]), immediate=True)
    assert_index_matches(state)
    # statements that bypass the services are counted too (the triggers see every change)
    with state.db.write() as conn:
        conn.execute(
            update(numbers).where(numbers.c.e164.in_(SPREAD[10:14])).values(state="quarantined")
        )
        conn.execute(update(numbers).where(numbers.c.e164 == SPREAD[20]).values(region="x"))
        conn.execute(delete(numbers).where(numbers.c.e164.in_(US_NUMBERS[:3])))
    assert assert_index_matches(state) == 10 + len(SPREAD)
    with state.db.write() as conn:
        conn.execute(
            update(numbers).where(numbers.c.e164.in_(SPREAD[10:12])).values(state="available")
        )
    assert_index_matches(state)


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"search": "0"},
        {"search": "34"},
        {"search": "777", "country": "IN"},
        {"search": "12", "exclude": ("91923", "919450")},
        {"exclude": ("9167", "91810000345")},
        {"search": "1234"},  # longer than the counters: the probe (FTS5 on SQLite)
    ],
)
@pytest.mark.parametrize("locate_from", [0, 3, 2000])
def test_pages_from_the_index_equal_a_plain_listing(
    state: TestServices,
    filters: dict[str, object],
    locate_from: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inventory, "LOCATE_FROM", locate_from)
    stock(state, SPREAD + IN_NUMBERS[:5])
    stock(state, US_NUMBERS[:5], currency="USD")
    everything = sorted(SPREAD + IN_NUMBERS[:5] + US_NUMBERS[:5])
    search = str(filters.get("search", ""))
    country = filters.get("country")
    exclude = tuple("+" + p for p in filters.get("exclude", ()))  # type: ignore[attr-defined]
    expected = [
        n
        for n in everything
        if search in n[1:]
        and (country is None or n.startswith("+91"))
        and not n.startswith(exclude or ("never",))
    ]
    assert expected
    for per_page in (1, 4, 25):
        got: list[str] = []
        for page in range(1, len(expected) // per_page + 3):
            result = state.inventory.search(SearchFilters(**filters), page, per_page)  # type: ignore[arg-type]
            assert result.total == len(expected)
            got.extend(n.e164 for n in result.items)
        assert got == expected


def test_concurrent_purchases_in_one_bucket_keep_the_counts_exact(
    state: TestServices, racers: list[TestServices]
) -> None:
    """Purchases of different numbers of one counter bucket update the same counter rows at
    once: they queue on them (in key order, no deadlock) and every one is counted."""
    from tests.support import run_together

    targets = IN_NUMBERS[:16]  # one bucket: "+91804"
    stock(state, targets + SPREAD[:4])
    buyers = [make_account(state, balance=100_000) for _ in targets]
    out = run_together(racers, [partial(_buy, b, e) for b, e in zip(buyers, targets, strict=True)])
    assert out.errors == [] and len(out.results) == len(targets)
    assert assert_index_matches(state) == 4
    assert state.inventory.search(SearchFilters(country="IN"), 1, 10).total == 4
