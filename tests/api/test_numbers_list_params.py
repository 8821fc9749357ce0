"""The owned list's query parameters: read by hand, answered as FastAPI would (400 with its
messages), and still documented in the OpenAPI document."""

from __future__ import annotations

from typing import Any

from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, make_account, stock
from tests.support import TestServices


def test_list_owned_query_parameters_answer_as_fastapi_did(
    state: TestServices, client: Any
) -> None:
    handle = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:3])
    account = state.accounts.get(handle.auth_id)
    for e164 in IN_NUMBERS[:3]:
        state.numbers.purchase(CLI, account, from_body(e164))
    url = f"/api/v1/Account/{handle.auth_id}/numbers"
    bad = "Input should be a valid integer, unable to parse string as an integer"
    for name in ("page", "per_page", "limit", "offset"):
        for value in ("abc", "1.5", "", "1e3", "\u0663", "true", "0x10"):
            r = client.get(url, params={name: value}, headers=handle.headers)
            assert r.status_code == 400
            assert r.json() == {"error": "invalid_request", "message": f"{name}: {bad}"}
    for value, page in ((" 7", 7), ("7 ", 7), ("2.0", 2), ("1_0", 10), ("+5", 5)):
        r = client.get(url, params={"page": value, "per_page": "1"}, headers=handle.headers)
        assert r.status_code == 200 and r.json()["page"] == page
    r = client.get(f"{url}?page=x&per_page=y&limit=1&offset=z", headers=handle.headers)
    assert r.json()["message"] == f"page: {bad}; per_page: {bad}; offset: {bad}"
    assert client.get(f"{url}?page=x&page=2", headers=handle.headers).json()["page"] == 2
    assert client.get(f"{url}?page=2&page=x", headers=handle.headers).status_code == 400
    # bad parameters are reported before credentials are looked at, as before
    assert client.get(f"{url}?page=x").status_code == 400
    assert client.get(f"{url}?page=0", headers=handle.headers).status_code == 400
    listed = client.get(f"{url}?per_page=2&page=2", headers=handle.headers).json()
    assert [n["e164"] for n in listed["items"]] == IN_NUMBERS[2:3] and listed["total"] == 3
    assert client.get(f"{url}?search=41000001", headers=handle.headers).json()["total"] == 1
    sub_only = client.get(f"{url}?include_subaccounts=false", headers=handle.headers)
    assert sub_only.json()["total"] == 3
    assert client.get(f"{url}?include_subaccounts=maybe", headers=handle.headers).status_code == 400


def test_openapi_still_documents_the_list_parameters(client: Any) -> None:
    op = client.app.openapi()["paths"]["/api/v1/Account/{auth_id}/numbers"]["get"]
    assert [p["name"] for p in op["parameters"]] == [
        "auth_id",
        "page",
        "per_page",
        "limit",
        "offset",
        "search",
        "include_subaccounts",
    ]
