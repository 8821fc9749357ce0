"""The bulk jobs' confirmation token (domain/bulk.py): bound to exactly one job's account,
action, numbers and params, and to its expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from didstore.domain import bulk
from didstore.domain.errors import ConfirmationInvalid, ConfirmationRequired

KEY = b"k" * 32
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
NUMBERS = ["+918041000001", "+918041000000"]


def _payload(**change: object) -> bytes:
    args: dict[str, object] = {
        "account": "MA_X",
        "action": "release",
        "numbers": NUMBERS,
        "params": {"immediate": False},
        **change,
    }
    return bulk.canonical(
        str(args["account"]),
        str(args["action"]),
        list(args["numbers"]),  # type: ignore[call-overload]
        dict(args["params"]),  # type: ignore[call-overload]
    )


def test_a_token_verifies_for_its_own_job_until_it_expires() -> None:
    token = bulk.sign(KEY, _payload(), NOW + timedelta(minutes=15))
    bulk.verify(KEY, _payload(), token, NOW)
    bulk.verify(KEY, _payload(numbers=list(reversed(NUMBERS)) + NUMBERS[:1]), token, NOW)
    assert bulk.token_expiry(token) == NOW + timedelta(minutes=15)
    with pytest.raises(ConfirmationInvalid, match="expired"):
        bulk.verify(KEY, _payload(), token, NOW + timedelta(minutes=15))


@pytest.mark.parametrize(
    "change",
    [
        {"account": "MA_Y"},
        {"action": "move"},
        {"numbers": NUMBERS[:1]},
        {"params": {"immediate": True}},
    ],
)
def test_a_token_is_refused_for_any_other_job(change: dict[str, object]) -> None:
    token = bulk.sign(KEY, _payload(), NOW + timedelta(minutes=15))
    with pytest.raises(ConfirmationInvalid, match="another job"):
        bulk.verify(KEY, _payload(**change), token, NOW)


def test_missing_malformed_forged_and_other_key_tokens() -> None:
    token = bulk.sign(KEY, _payload(), NOW + timedelta(minutes=15))
    with pytest.raises(ConfirmationRequired):
        bulk.verify(KEY, _payload(), None, NOW)
    for bad in ("", "abc", "12.", ".abc", 42):
        with pytest.raises((ConfirmationInvalid, ConfirmationRequired)):
            bulk.verify(KEY, _payload(), bad, NOW)
    expiry, _, mac = token.partition(".")
    later = str(int(expiry) + 3600)
    with pytest.raises(ConfirmationInvalid):  # a stretched expiry breaks the MAC
        bulk.verify(KEY, _payload(), f"{later}.{mac}", NOW)
    with pytest.raises(ConfirmationInvalid):
        bulk.verify(b"other" * 8, _payload(), token, NOW)


def test_only_destructive_jobs_over_the_threshold_need_confirmation() -> None:
    assert bulk.needs_confirmation("release", 11, 10)
    assert bulk.needs_confirmation("move", 11, 10)
    assert not bulk.needs_confirmation("release", 10, 10)
    assert not bulk.needs_confirmation("purchase", 500, 10)
    assert not bulk.needs_confirmation("release", 500, 0)
