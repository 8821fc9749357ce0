"""docs/cli.md: every ```sh example runs (as one bash script, ``set -euo pipefail``) against
a server of its own, and prints what the ```text block after it shows (stdout and stderr
together, as a terminal would show them; a pipe gets tab-separated rows)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.doc_examples import blocks, matches
from tests.live_server import DIDSTORE, Account, LiveServer, partner_with_customer, run_server

MARK = "@@@ example "


@pytest.fixture(scope="module")
def guide_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with nothing in stock but what the guide expects, so its outputs are exact."""
    yield from run_server(tmp_path_factory.mktemp("cli-guide"), "cliguide")


def customer_buys(live: LiveServer, customer: Account) -> None:
    """The partner's customer holds one number (outside what the guide's account sees)."""
    from didstore.client import Client

    [number] = live.stock(1)
    with Client(customer.auth_id, customer.auth_token, base_url=live.url) as client:
        client.phone_numbers.purchase_from_inventory(customer.auth_id, number)


def test_cli_guide_examples_run_and_print_what_the_guide_shows(
    guide_server: LiveServer, tmp_path: Path
) -> None:
    live = guide_server
    account = live.create_account(balance=10000, release_fee=5)
    live.stock(3)
    partner, customer = partner_with_customer(live)
    customer_buys(live, customer)
    found = blocks("cli.md", "sh")
    assert len(found) >= 8 and all(b.output is not None for b in found)
    script = "exec 2>&1\nset -euo pipefail\n" + "\n".join(
        f"echo '{MARK}{i}'\n{b.code}" for i, b in enumerate(found)
    )
    (tmp_path / "cli_guide.sh").write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    env.update(
        PATH=f"{Path(DIDSTORE).parent}:{env.get('PATH', '')}",
        DIDSTORE_URL=live.url,
        DIDSTORE_AUTH_ID=account.auth_id,
        DIDSTORE_AUTH_TOKEN=account.auth_token,
        DIDSTORE_DATABASE_URL=live.database_url,  # for the operator's in-process commands
        OPERATOR_TOKEN=ADMIN_TOKEN,
        PARTNER_ID=partner.auth_id,
        PARTNER_TOKEN=partner.auth_token,
        PYTHONUNBUFFERED="1",  # stdout and stderr lines in the order they were written
        COLUMNS="100",
    )
    done = subprocess.run(
        ["bash", "cli_guide.sh"], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    printed = done.stdout.split(MARK)[1:]
    assert len(printed) == len(found)
    for i, (block, out) in enumerate(zip(found, printed, strict=True)):
        actual = out.split("\n", 1)[1] if "\n" in out else ""
        assert block.output is not None
        assert matches(block.output, actual), (
            f"example {i}:\n{block.code}\nshows:\n{block.output}\nprinted:\n{actual}"
        )
