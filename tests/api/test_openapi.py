"""``/openapi.json`` tells the truth (issue 14 item 5): every operation has a row in
``api/openapi/table.py``, a 2xx schema, its security and no phantom 422; the statuses a
route's own code can raise are documented. Live responses are checked against the spec by
``test_openapi_conformance.py``."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from didstore.api import openapi
from didstore.api.app import create_app
from didstore.api.openapi import OPERATIONS, SECURITY_SCHEMES, undocumented
from didstore.config import Settings

TABLE = "src/didstore/api/openapi/table.py"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """Every route mounted (the test clock's too); no database is opened."""
    db = tmp_path_factory.mktemp("openapi") / "spec.db"
    return create_app(Settings(database_url=f"sqlite:///{db}", test_clock=True))


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_every_route_has_a_row_in_the_table(spec: dict[str, Any]) -> None:
    missing = undocumented(spec)
    assert not missing, (
        f"add a row to OPERATIONS in {TABLE} for each of these operations (success status "
        "and body schema from shapes.py, auth kind, the errors the route raises, its request "
        f"body): {missing}"
    )


def test_every_row_names_a_route(spec: dict[str, Any]) -> None:
    served = {(method, path) for method, path, _ in operations(spec)}
    stale = sorted(set(OPERATIONS) - served)
    assert not stale, f"rows in {TABLE} for routes that do not exist: {stale}"


def test_every_operation_documents_a_success_body(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        row = OPERATIONS.get((method, path))
        more = {str(s) for s in row.more} if row else set()  # declared extra successes
        ok = [s for s in operation["responses"] if s.startswith("2") and s not in more]
        assert len(ok) == 1, (method, path, ok)
        answer = operation["responses"][ok[0]]
        if ok[0] == "204":
            assert "content" not in answer, (method, path)
            continue
        [schema] = [media["schema"] for media in answer["content"].values()][:1]
        assert schema and schema != {}, (method, path)


def test_no_phantom_422(spec: dict[str, Any]) -> None:
    """FastAPI's validation 422 is never sent (validation errors are 400 envelopes); the only
    422 is ``idempotency_key_reused``, on POST and DELETE, which take an Idempotency-Key."""
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for method, path, operation in operations(spec):
        if "422" not in operation["responses"]:
            continue
        assert method in ("POST", "DELETE"), (method, path)
        assert "idempotency_key_reused" in operation["responses"]["422"]["description"]
        params = {(p["in"], p["name"]) for p in operation["parameters"]}
        assert ("header", "Idempotency-Key") in params, (method, path)


def test_every_operation_declares_its_security(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"] == SECURITY_SCHEMES
    for method, path, operation in operations(spec):
        assert "security" in operation, (method, path)
        if path == "/healthz":
            assert operation["security"] == [], path
        elif openapi.self_documented(path):
            assert operation["security"] == [{"Basic": []}], (method, path)
        elif OPERATIONS[(method, path)].auth == "operator":
            assert operation["security"] == [{"Bearer": []}], (method, path)
            assert "401" in operation["responses"] and "403" in operation["responses"]
        else:
            assert {"XAuthId": [], "XAuthToken": []} in operation["security"], (method, path)
            assert "401" in operation["responses"], (method, path)


def test_errors_carry_their_envelopes_and_retry_after(spec: dict[str, Any]) -> None:
    for method, path, operation in operations(spec):
        responses = operation["responses"]
        for status, answer in responses.items():
            if status.startswith("2"):
                continue
            assert answer["content"]["application/json"]["schema"], (method, path, status)
        if path != "/healthz":
            assert responses["503"]["headers"]["Retry-After"]["required"] is True
        if method in ("POST", "PUT", "DELETE"):
            assert "Retry-After" in responses["409"]["headers"], (method, path)
    nested = spec["paths"]["/api/v1/auth/me"]["get"]["responses"]["401"]
    assert nested["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorNested"
    }


def test_csv_variants_and_request_bodies(spec: dict[str, Any]) -> None:
    costs = spec["paths"]["/api/v1/partner/reports/costs"]["get"]
    assert set(costs["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {p["name"] for p in costs["parameters"]} >= {"from", "to"}
    inventory = spec["paths"]["/api/v1/admin/inventory"]["post"]["requestBody"]["content"]
    assert set(inventory) == {"application/json", "text/csv", "multipart/form-data"}
    purchase = spec["paths"]["/api/v1/Account/{auth_id}/numbers/purchase-from-inventory"]
    body = purchase["post"]["requestBody"]["content"]["application/json"]
    assert set(body["schema"]["properties"]) == {"e164", "currency"}


# What a route's own code can answer, read from its source: the error it raises by name, and
# the auth helper it calls (which raise 401 and 403).
RAISES = {
    "InvalidInput": "400",
    "NotFound": "404",
    "Forbidden": "403",
    "AccountMismatch": "403",
    "Conflict": "409",
    "InsufficientBalance": "402",
}
AUTH_HELPERS = ("account_scope", "require_operator", "authenticate", "_partner", "_main_scope")


def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every documented route with its full path (``path_format``), ``methods`` and
    ``endpoint``; newer FastAPI nests included routers (``iter_route_contexts``)."""
    contexts = getattr(fastapi_routing, "iter_route_contexts", None)
    routes: list[Any] = list(contexts(app.routes) if contexts else app.routes)
    for route in routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, APIRoute) and getattr(route, "include_in_schema", True):
            yield route


def _route_source(route: Any) -> str:
    source = inspect.getsource(route.endpoint)
    module = inspect.getmodule(route.endpoint)
    assert module is not None
    # helpers of the same module the handler calls (one level deep)
    for name in re.findall(r"\b(_[a-z_]+)\(", source):
        helper = getattr(module, name, None)
        if callable(helper) and inspect.isfunction(helper):
            source += inspect.getsource(helper)
    return source


def test_documented_statuses_cover_what_each_route_raises(
    app: FastAPI, spec: dict[str, Any]
) -> None:
    checked = 0
    for route in api_routes(app):
        if openapi.self_documented(route.path_format):  # tests/api/test_plivo_numbers.py
            continue
        source = _route_source(route)
        for method in route.methods:
            checked += 1
            documented = set(spec["paths"][route.path_format][method.lower()]["responses"])
            expected = {status for name, status in RAISES.items() if f"{name}(" in source}
            if any(f"{helper}(" in source for helper in AUTH_HELPERS):
                expected |= {"401"}
            if "require_operator(" in source or "_partner(" in source:
                expected |= {"403"}
            if "no_content()" in source:
                expected |= {"204"}
            for status in re.findall(r"status_code=(\d{3})|, (\d{3})\)", source):
                expected |= {s for s in status if s}
            missing = expected - documented
            assert not missing, (
                f"{method} {route.path_format} can answer {sorted(missing)}; document them in "
                f"{TABLE}"
            )
    assert checked == len(OPERATIONS)


def test_the_spec_is_served(app: FastAPI, spec: dict[str, Any]) -> None:
    with TestClient(app) as client:
        served = client.get("/openapi.json")
    assert served.status_code == 200
    assert served.json()["paths"].keys() == spec["paths"].keys()
    assert (Path(__file__).parents[2] / TABLE).is_file()


def _nullable(schema: dict[str, Any]) -> bool:
    kinds = schema.get("type", [])
    return "null" in kinds or any(s.get("type") == "null" for s in schema.get("anyOf", []))


def test_wire_schemas_match_the_contract_copied_from_the_specs() -> None:
    """The key sets of ``shapes.py`` equal those ``tests/e2e/vobiz_contract.py`` copied from the
    Vobiz specs, and no key the spec requires non-null is documented as nullable."""
    from didstore.api.openapi.shapes import COMPONENTS
    from tests.e2e import vobiz_contract as contract

    pairs = {
        "InventoryNumber": contract.INVENTORY_ITEM,
        "PhoneNumber": contract.PHONE_NUMBER,
        "Release": contract.UNRENT,
        "Balance": contract.BALANCE,
        "Transaction": contract.TRANSACTION_ROW,
        "TransactionPage": contract.TRANSACTIONS,
        "AuthMe": contract.AUTH_ME,
        "SubAccount": contract.SUB_ACCOUNT,
        "SubAccountCreated": contract.SUB_CREATE,
        "SubAccountList": contract.SUB_LIST,
    }
    for name, keys in pairs.items():
        schema = COMPONENTS[name]
        assert set(schema["required"]) == set(keys), (name, set(schema["required"]) ^ set(keys))
        for key, kind in keys.items():
            if _nullable(schema["properties"][key]):
                assert kind.endswith("?"), (name, key, "documented nullable, spec says not")
    tier = COMPONENTS["AuthMe"]["properties"]["pricing_tier"]
    assert set(tier["required"]) == set(contract.PRICING_TIER)


def test_a_row_can_document_a_text_answer_and_a_common_status() -> None:
    """For the routes to come: a text body (``/metrics``) and a middleware's status (429)."""
    from didstore.api import openapi
    from didstore.api.openapi.table import Op

    metrics = Op(200, "Text", "public", media="text/plain; version=0.0.4")
    out = openapi.responses("GET", metrics, has_path_params=False)
    assert out["200"]["content"] == {
        "text/plain; version=0.0.4": {"schema": {"$ref": "#/components/schemas/Text"}}
    }
    limited = openapi.responses("GET", Op(200, "Balance", "account", (429,)), False)
    assert limited["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RateLimited"
    }
