"""domain/ids.py: identifiers and credentials in the compatible API's formats."""

from __future__ import annotations

import re

import pytest

from didstore.domain.ids import hash_token, new_app_id, new_auth_id, new_token, new_uuid


@pytest.mark.parametrize("prefix", ["MA_", "SA_", "PA_"])
def test_auth_ids_are_a_prefix_and_8_uppercase_alphanumerics(prefix: str) -> None:
    assert re.fullmatch(prefix + r"[A-Z0-9]{8}", new_auth_id(prefix))


def test_an_unknown_prefix_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        new_auth_id("XX_")


def test_tokens_are_long_random_and_stored_as_sha256_hex() -> None:
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 40
    assert re.fullmatch(r"[0-9a-f]{64}", hash_token(a))
    assert hash_token(a) == hash_token(a) != hash_token(b)


def test_application_ids_have_17_digits_and_uuids_are_canonical() -> None:
    assert all(re.fullmatch(r"[1-9][0-9]{16}", new_app_id()) for _ in range(100))
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", new_uuid()
    )
