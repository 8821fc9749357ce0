"""The deletion lock: release and moves answer 409 number_locked until it is lifted; an
operator's lock only the operator lifts; a lock racing a release never loses to it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from didstore.db.tables import numbers
from didstore.domain.e164 import E164, from_body
from didstore.domain.errors import InvalidInput, NumberLocked, RetryableConflict
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, admin_headers, buy, make_account, make_sub_account, stock
from tests.support import TestServices, run_together, unexpected

E = IN_NUMBERS[0]


def _path(acct: Any, e164: str = E) -> str:
    return f"/api/v1/Account/{acct.auth_id}/numbers/{e164}"


def test_a_locked_number_cannot_be_released_or_moved(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=5000)
    sub = make_sub_account(state, acct)
    stock(state, [E])
    buy(state, acct, E)
    lock = _path(acct) + "/lock"
    assert client.get(lock, headers=acct.headers).json()["locked"] is False
    r = client.post(lock, headers=acct.headers)
    assert r.status_code == 200, r.text
    assert r.json()["locked"] is True and r.json()["locked_by"] == acct.auth_id
    assert client.post(lock, headers=acct.headers).status_code == 200  # again: no change

    for method, url, body in (
        ("DELETE", _path(acct), None),
        ("DELETE", _path(acct) + "?immediate=true", None),
        ("DELETE", _path(acct) + "?dry_run=true", None),
        (
            "POST",
            f"/api/v1/account/{acct.auth_id}/numbers/{E}/assign-subaccount",
            {"sub_account_id": sub.auth_id},
        ),
    ):
        r = client.request(method, url, json=body, headers=acct.headers)
        assert r.status_code == 409, (url, r.status_code, r.text)
        assert "number_locked" in r.text
    owned = client.get(_path(acct), headers=acct.headers).json()
    assert owned["status"] == "active" and owned["account_id"] == acct.auth_id

    # the owner lifts it; then the release goes through
    assert client.delete(lock, headers=acct.headers).json()["locked"] is False
    assert client.delete(_path(acct), headers=acct.headers).status_code == 200
    # a pending release cannot be locked
    assert client.post(lock, headers=acct.headers).status_code == 400


def test_an_operator_lock_is_lifted_by_the_operator_only(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=5000)
    stock(state, [E])
    buy(state, acct, E)
    lock = _path(acct) + "/lock"
    r = client.post(lock, headers=admin_headers())
    assert r.json()["locked_by"] == "operator"
    assert client.delete(lock, headers=acct.headers).status_code == 403
    assert client.delete(_path(acct), headers=acct.headers).status_code == 409
    assert client.delete(lock, headers=admin_headers()).json()["locked"] is False
    other = make_account(state)
    assert client.post(_path(other) + "/lock", headers=other.headers).status_code == 404
    assert client.post(lock, headers=other.headers).status_code == 403


def test_a_lock_racing_a_release(state: TestServices, racers: list[TestServices]) -> None:
    """Lock and release at the same moment, many times: either the lock wins (release 409)
    or the release wins (the lock is refused: pending release); never a locked number
    released."""
    acct = make_account(state, balance=50000)
    stock(state, IN_NUMBERS[:8])
    for n in IN_NUMBERS[:8]:
        buy(state, acct, n)
    account = state.accounts.get(acct.auth_id)
    for n in IN_NUMBERS[:8]:
        e = from_body(n)

        def lock(s: TestServices, e: E164 = e) -> Any:
            return s.locks.set(CLI, account, e, locked=True)

        def release(s: TestServices, e: E164 = e) -> Any:
            return s.numbers.release(CLI, account, e, immediate=False)

        out = run_together(racers, [lock, release])
        assert not unexpected(out, NumberLocked, InvalidInput, RetryableConflict)
        assert len(out.results) == 1  # exactly one of the two went through
        with state.db.read() as conn:
            row = conn.execute(select(numbers).where(numbers.c.e164 == n)).one()
        locked = row.deletion_locked_at is not None
        assert locked != (row.state == "pending_release")
