"""The real vobiz-python 0.1.1 SDK against a real ``didstore serve`` process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import IN_NUMBERS, drop_database, new_database_url
from tests.live_server import serve_process

pytestmark = pytest.mark.e2e

ADMIN = "e2e-operator-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("e2e")
    url = new_database_url(workdir, "routing_e2e")
    try:
        with serve_process(workdir, url, ADMIN) as base:
            yield base
    finally:
        drop_database(url)


def _admin(base: str, method: str, path: str, **kw: Any) -> Any:
    r = httpx.request(method, base + path, headers={"Authorization": f"Bearer {ADMIN}"}, **kw)
    assert r.status_code < 300, r.text
    return r.json()


def test_sdk_assigns_and_unassigns_a_trunk(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import vobiz
    import vobiz.resources.numbers
    import vobiz.resources.sip_trunks

    for module in (vobiz.resources.numbers, vobiz.resources.sip_trunks):
        monkeypatch.setattr(module, "VOBIZ_API_V1", server + "/api/v1")
    acct = _admin(server, "POST", "/api/v1/admin/accounts", json={"name": "e2e", "currency": "INR"})
    _admin(server, "POST", f"/api/v1/admin/accounts/{acct['auth_id']}/credit",
           json={"amount": 10000, "currency": "INR"})  # fmt: skip
    e164 = IN_NUMBERS[50]
    _admin(server, "POST", "/api/v1/admin/inventory",
           json={"numbers": [{"e164": e164, "region": "Karnataka", "setup_fee": 100,
                              "monthly_fee": 300, "currency": "INR"}]})  # fmt: skip

    client = vobiz.RestClient(acct["auth_id"], acct["auth_token"])
    client.phone_numbers.purchase_from_inventory(e164)
    trunk = client.sip_trunks.create(name="e2e-trunk")
    trunk_id = trunk.trunk_id

    client.phone_numbers.assign_to_trunk(e164, trunk_id)
    listed = {n.e164: n for n in client.phone_numbers.list().items}
    assert listed[e164].trunk_group_id == trunk_id
    route = _admin(server, "GET", f"/api/v1/admin/routes/{e164}")
    assert route["routable"] is True and route["trunk_group_id"] == trunk_id

    with pytest.raises(vobiz.exceptions.ValidationError):  # already assigned -> 400
        client.phone_numbers.assign_to_trunk(e164, trunk_id)

    client.phone_numbers.unassign_from_trunk(e164)
    listed = {n.e164: n for n in client.phone_numbers.list().items}
    assert listed[e164].trunk_group_id is None
    assert _admin(server, "GET", f"/api/v1/admin/routes/{e164}")["reason"] == "no_route"

    with pytest.raises(vobiz.exceptions.ResourceNotFoundError):  # nothing to unassign -> 404
        client.phone_numbers.unassign_from_trunk(e164)
