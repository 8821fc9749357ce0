"""Schemathesis hooks for ``test_openapi_conformance.py`` (loaded by the CLI through the
``hooks`` key of its config file; the ids come in ``DIDSTORE_CONFORMANCE_IDS``)."""

from __future__ import annotations

import itertools
import json
import os
import uuid
from typing import Any

import schemathesis

#: POST routes whose body names a resource: path ending -> (body key, key of the ids)
BODY_IDS = {
    "/assign": ("trunk_group_id", "trunk_id"),
    "/application": ("application_id", "app_id"),
    "/assign-subaccount": ("sub_account_id", "sub_auth_id"),
}
#: routes that answer CSV to ``Accept: text/csv``
CSV_REPORTS = "/api/v1/partner/reports/"
_turns = itertools.count()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    """Make each generated ``Idempotency-Key`` unique (the generated value stays as a prefix, so
    malformed keys still reach the server): the fuzzer otherwise sends the same few keys with
    different bodies and nearly every write answers 422 ``idempotency_key_reused``. Every other
    body of a route that names a resource names a real one, so the route can succeed; every
    other call of a report asks for its CSV variant."""
    headers = case.headers or {}
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = f"{headers['Idempotency-Key']}{uuid.uuid4().hex}"
    if case.operation.path.startswith(CSV_REPORTS) and next(_turns) % 2 == 0:
        case.headers = {**headers, "Accept": "text/csv"}  # the CSV variant, every other call
    ids = json.loads(os.environ.get("DIDSTORE_CONFORMANCE_IDS", "{}"))
    for suffix, (key, name) in BODY_IDS.items():
        path = case.operation.path
        if case.method.upper() == "POST" and path.endswith(suffix) and next(_turns) % 2 == 0:
            case.body = {**(case.body if isinstance(case.body, dict) else {}), key: ids[name]}
    _reservation(case, ids)


#: numbers stocked for reservations (``ids["reservation"]["numbers"]``), used up one per call
_pool: list[str] = []
_loaded = False


def _reservation(case: Any, ids: dict[str, Any]) -> None:
    """Every other call of a reservation route works on a fresh hold: creating one holds a
    fresh number, and a route on ``{reservation_id}`` gets a new active reservation (made
    here over HTTP), so cancel, extend and purchase can succeed whatever ran before them."""
    global _loaded
    conf = ids.get("reservation")
    path = case.operation.path
    if not conf or "/numbers/reservations" not in path or next(_turns) % 2:
        return
    if not _loaded:
        _pool.extend(conf["numbers"])
        _loaded = True
    if not _pool:
        return
    number = _pool.pop()
    if case.method.upper() == "POST" and path.endswith("/numbers/reservations"):
        case.body = {"numbers": [number]}
    elif "{reservation_id}" in path:
        import httpx

        made = httpx.post(conf["url"], json={"numbers": [number]}, headers=conf["headers"])
        if made.status_code == 201:
            params = case.path_parameters or {}
            case.path_parameters = {**params, "reservation_id": made.json()["id"]}
