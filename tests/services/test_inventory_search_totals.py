"""Inventory search and owned-number listing after the performance work: ``total`` stays exact
for selective filters, is reused (briefly) only for non-selective ones, and deep pages (the
deferred join) return exactly the rows a plain OFFSET would."""

from __future__ import annotations

from typing import Any

import pytest

from didstore.domain.e164 import from_body
from didstore.services import inventory
from didstore.services.inventory import InventoryService, SearchFilters
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, US_NUMBERS, make_account, stock
from tests.support import TestServices


def _search(svc: Any, page: int = 1, per_page: int = 5, **filters: object) -> tuple[list[str], int]:
    result = svc.search(SearchFilters(**filters), page, per_page)  # type: ignore[arg-type]
    return [n.e164 for n in result.items], result.total


@pytest.fixture
def stocked(state: TestServices) -> TestServices:
    stock(state, IN_NUMBERS)
    stock(state, US_NUMBERS, currency="USD")
    return state


def _buy(state: TestServices, e164: str) -> None:
    buyer = make_account(state, balance=100_000, currency="INR")
    account = state.accounts.get(buyer.auth_id)
    state.numbers.purchase(CLI, account, from_body(e164))


def test_selective_total_is_exact_and_never_cached(stocked: TestServices) -> None:
    matching = [n for n in IN_NUMBERS if "4100001" in n]  # +9180410000{10..19}: 10 numbers
    assert len(matching) == 10
    items, total = _search(stocked.inventory, search="4100001", per_page=3)
    assert items == matching[:3]
    assert total == 10
    _buy(stocked, matching[0])
    items, total = _search(stocked.inventory, search="4100001", per_page=3)
    assert total == 9  # at once: a selective filter is counted on every request
    assert items == matching[1:4]


def test_nonselective_total_is_cached_briefly(
    stocked: TestServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory, "EXACT_TOTAL_LIMIT", 5)  # make "IN" non-selective
    svc = stocked.inventory
    _, total = _search(svc, country="IN")
    assert total == len(IN_NUMBERS)
    _buy(stocked, IN_NUMBERS[0])
    _, cached = _search(svc, country="IN")
    assert cached == len(IN_NUMBERS)  # the count from moments ago, by design
    fresh_svc = stocked.blocking(
        InventoryService(stocked.adb, stocked.clock, total_cache_seconds=0)
    )
    _, exact = _search(fresh_svc, country="IN")
    assert exact == len(IN_NUMBERS) - 1
    # a different filter is a different cache entry, counted exactly
    _, other = _search(svc, country="IN", exclude=("918041000005",))
    assert other == len(IN_NUMBERS) - 2


def test_last_page_total_is_exact_even_when_cached(
    stocked: TestServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory, "EXACT_TOTAL_LIMIT", 5)
    svc = stocked.inventory
    assert _search(svc, country="US")[1] == 60  # cached from here on
    buyer = make_account(stocked, balance=1000, currency="USD")
    stocked.numbers.purchase(CLI, stocked.accounts.get(buyer.auth_id), from_body(US_NUMBERS[0]))
    items, total = _search(svc, country="US", page=6, per_page=11)  # rows 56..59: the end
    assert items == US_NUMBERS[56:]
    assert total == 59  # the last page shows where the list ends: exact, not the cached 60


# (EXACT_TOTAL_LIMIT, REVERSE_SCAN_FROM): whole-match-set path, deferred join forwards,
# deferred join from whichever end is nearer.
PATHS = [(2000, 10**9), (5, 10**9), (5, 1)]


@pytest.mark.parametrize(("limit", "reverse_from"), PATHS)
@pytest.mark.parametrize("per_page", [1, 7, 25])
def test_deep_pages_match_a_plain_listing(
    stocked: TestServices,
    per_page: int,
    limit: int,
    reverse_from: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inventory, "EXACT_TOTAL_LIMIT", limit)
    monkeypatch.setattr(inventory, "REVERSE_SCAN_FROM", reverse_from)
    everything = sorted(IN_NUMBERS + US_NUMBERS)
    seen: list[str] = []
    page = 1
    while True:
        items, total = _search(stocked.inventory, page=page, per_page=per_page)
        assert total == len(everything)
        if not items:
            break
        seen.extend(items)
        page += 1
    assert seen == everything


@pytest.mark.parametrize(
    "filters",
    [
        {"search": "5", "country": "IN"},
        {"search": "5", "exclude": ("918041000",)},
        {"country": "US", "exclude": ("1415555012", "1415555013")},
    ],
)
@pytest.mark.parametrize(("limit", "reverse_from"), PATHS)
def test_deep_pages_with_filters(
    stocked: TestServices,
    filters: dict[str, object],
    limit: int,
    reverse_from: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(inventory, "EXACT_TOTAL_LIMIT", limit)
    monkeypatch.setattr(inventory, "REVERSE_SCAN_FROM", reverse_from)

    def keep(n: str) -> bool:
        search = str(filters.get("search", ""))
        country = filters.get("country")
        excluded = any(n.startswith("+" + p) for p in filters.get("exclude", ()))  # type: ignore[attr-defined]
        in_country = country is None or (n.startswith("+91") == (country == "IN"))
        return search in n and in_country and not excluded

    expected = sorted(n for n in IN_NUMBERS + US_NUMBERS if keep(n))
    assert expected  # the filter must match something for the test to mean anything
    got: list[str] = []
    for page in range(1, 40):
        items, total = _search(stocked.inventory, page=page, per_page=4, **filters)
        assert total == len(expected)
        got.extend(items)
    assert got == expected


def test_page_past_the_end_keeps_an_exact_total(stocked: TestServices) -> None:
    items, total = _search(stocked.inventory, page=50, per_page=10, country="IN")
    assert items == []
    assert total == len(IN_NUMBERS)
    items, total = _search(stocked.inventory, page=1, per_page=10, search="99999999")
    assert (items, total) == ([], 0)
