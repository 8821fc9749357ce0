"""Partner number views page by page (issue 5 §3): the pages of any view, concatenated, are
exactly its sorted list, every page answers the same exact ``total``, whatever the page size
(deep pages start from a bookmark: small bookmark distances cover that on a small view)."""

from datetime import timedelta

import pytest

from didstore.clock import FixedClock
from didstore.domain.e164 import from_body
from didstore.services import partner as partner_service
from didstore.services.models import CLI, Account
from tests.conftest import IN_NUMBERS, make_account, make_sub_account, stock
from tests.support import TestServices


def _buy(state: TestServices, buyer: Account, e164: str) -> None:
    state.numbers.purchase(CLI, buyer, from_body(e164))


@pytest.fixture
def views(state: TestServices, clock: FixedClock) -> dict[str, object]:
    partner = state.accounts.create_partner(CLI, name="Reseller", currency_code="INR").account
    other = state.accounts.create_partner(CLI, name="Other", currency_code="INR").account
    a1 = make_account(state, balance=100_000, partner_id=partner.auth_id)
    a2 = make_account(state, balance=100_000, partner_id=partner.auth_id)
    s1 = make_sub_account(state, a1)
    stranger = make_account(state, balance=100_000, partner_id=other.auth_id)
    stock(state, IN_NUMBERS)
    # Interleaved holders so every page mixes customers: 0,4,8.. to a1, 1,5,9.. to its
    # sub-account, 2,6,.. to a2, 3,7,.. to another partner's customer; the last 4 stay stocked.
    holders = [a1, s1, a2, stranger]
    for i, e164 in enumerate(IN_NUMBERS[:56]):
        _buy(state, state.accounts.get(holders[i % 4].auth_id), e164)
    # One of a2's numbers released: it stays in view during the 24 h cool-off, then leaves.
    state.numbers.release(
        CLI, state.accounts.get(a2.auth_id), from_body(IN_NUMBERS[2]), immediate=False
    )
    clock.set(clock.now() + timedelta(days=2))
    mine = [n for i, n in enumerate(IN_NUMBERS[:56]) if i % 4 != 3 and n != IN_NUMBERS[2]]
    return {
        "partner": partner,
        "a1": state.accounts.get(a1.auth_id),
        "a2": state.accounts.get(a2.auth_id),
        "all": sorted(mine),
        "a1_list": sorted(n for i, n in enumerate(IN_NUMBERS[:56]) if i % 4 in (0, 1)),
        "a2_list": sorted(
            n for i, n in enumerate(IN_NUMBERS[:56]) if i % 4 == 2 and n != IN_NUMBERS[2]
        ),
    }


def _walk(
    state: TestServices, partner: Account, customer: Account | None, search: str | None, size: int
) -> tuple[list[str], set[int]]:
    seen: list[str] = []
    totals: set[int] = set()
    page = 1
    while True:
        result = state.partner.numbers(
            partner, customer=customer, search=search, page=page, per_page=size
        )
        totals.add(result.total)
        seen.extend(n.e164 for n in result.items)
        assert len(result.items) <= size
        if len(result.items) < size:
            return seen, totals
        page += 1


@pytest.fixture(params=[1000, 4, 5])
def bookmark_every(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Small bookmark distances so deep pages of a small view start from a bookmark."""
    monkeypatch.setattr(partner_service, "BOOKMARK_EVERY", request.param)
    return int(request.param)


@pytest.mark.parametrize("size", [1, 3, 7, 20, 41, 100])
def test_pages_concatenated_are_the_whole_view(
    state: TestServices, views: dict[str, object], size: int, bookmark_every: int
) -> None:
    partner = views["partner"]
    assert isinstance(partner, Account)
    cases = [
        (None, None, views["all"]),
        (views["a1"], None, views["a1_list"]),
        (views["a2"], None, views["a2_list"]),
        (None, "4100001", [n for n in views["all"] if "4100001" in n]),  # type: ignore[attr-defined]
    ]
    for customer, search, expected in cases:
        assert isinstance(customer, Account | None)
        seen, totals = _walk(state, partner, customer, search, size)
        assert seen == expected, (customer, search, size)
        assert totals == {len(expected)}, (customer, search, size)


def test_pages_beyond_the_end_are_empty_with_the_exact_total(
    state: TestServices, views: dict[str, object], bookmark_every: int
) -> None:
    partner = views["partner"]
    assert isinstance(partner, Account)
    expected = views["all"]
    assert isinstance(expected, list)
    state.partner.numbers(partner, customer=None, search=None, page=1, per_page=10)
    for page in (5, 6, 50):
        result = state.partner.numbers(partner, customer=None, search=None, page=page, per_page=10)
        assert result.total == len(expected)
        assert [n.e164 for n in result.items] == expected[(page - 1) * 10 : page * 10]


def test_first_page_total_is_always_counted_afresh(
    state: TestServices, views: dict[str, object], bookmark_every: int
) -> None:
    partner, a1 = views["partner"], views["a1"]
    assert isinstance(partner, Account) and isinstance(a1, Account)
    expected = list(views["all"])  # type: ignore[call-overload]
    before = state.partner.numbers(partner, customer=None, search=None, page=2, per_page=5)
    assert before.total == len(expected)
    _buy(state, a1, IN_NUMBERS[57])  # bought after the count was cached
    first = state.partner.numbers(partner, customer=None, search=None, page=1, per_page=5)
    assert first.total == len(expected) + 1
    # The walk that starts there sees that total on every later page, and the new number.
    seen, totals = _walk(state, partner, None, None, 5)
    assert seen == sorted([*expected, IN_NUMBERS[57]])
    assert totals == {len(expected) + 1}
