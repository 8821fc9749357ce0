"""The restore drill (docs/deployment.md): books built through the real CLI and server, a
backup taken while the server keeps selling, restored into a fresh database that passes
``didstore ledger verify`` and serves the same balances and numbers. Runs on the backend
chosen by DIDSTORE_TEST_DB (SQLite online backup API or pg_dump/pg_restore)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from didstore.client import Client
from didstore.db.engine import make_engine
from tests.conftest import BACKEND, drop_database, new_database_url
from tests.live_server import DIDSTORE, serve_process

pytestmark = pytest.mark.e2e

UPFRONT = 400  # setup_fee 100 + monthly_fee 300 (INR) per number bought
CREDIT = 20000


def didstore(*args: str, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed ``didstore`` executable, with no DIDSTORE_* but the ones given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DIDSTORE_")}
    done = subprocess.run(
        [DIDSTORE, *args], env={**clean, **env}, capture_output=True, text=True, timeout=180
    )
    if ok:
        assert done.returncode == 0, f"didstore {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A source database and a fresh (migrated, empty) one to restore into."""
    source, copy = new_database_url(tmp_path, "drill_src"), new_database_url(tmp_path, "drill_dst")
    try:
        yield source, copy
    finally:
        drop_database(source)
        drop_database(copy)


def new_account(database_url: str, name: str) -> tuple[str, str]:
    done = didstore("accounts", "create", "--name", name, "--currency", "INR", "--json",
                    "--database-url", database_url)  # fmt: skip
    data = json.loads(done.stdout)
    didstore("accounts", "credit", data["auth_id"], str(CREDIT), "--currency", "INR",
             "--database-url", database_url)  # fmt: skip
    return data["auth_id"], data["auth_token"]


def stock(database_url: str, tmp: Path, count: int) -> list[str]:
    numbers = [f"+9180431{i:05d}" for i in range(count)]
    csv = tmp / "stock.csv"
    csv.write_text(
        "e164,region,setup_fee,monthly_fee,currency\n"
        + "".join(f"{n},Karnataka,100,300,INR\n" for n in numbers)
    )
    didstore("inventory", "import", str(csv), "--database-url", database_url)
    return numbers


def books(url: str, auth_id: str, token: str) -> tuple[float, list[str]]:
    """(INR balance, numbers held) as the account sees them through the API."""
    with Client(auth_id, token, base_url=url) as client:
        balance = client.balance.get_balance(auth_id, "INR").balance
        held = sorted(n.e164 for n in client.phone_numbers.list_numbers(auth_id, per_page=100))
    return balance, held


@dataclass
class Shopper:
    """Buys numbers one at a time and reads the other account, until told to stop."""

    url: str
    buyer: tuple[str, str]
    reader: tuple[str, str]
    wanted: list[str]
    bought: list[str] = field(default_factory=list)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    progress: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        auth_id, token = self.buyer
        try:
            with Client(auth_id, token, base_url=self.url) as client:
                for number in self.wanted:
                    if self.stop.is_set():
                        return
                    client.phone_numbers.purchase_from_inventory(auth_id, number)
                    self.bought.append(number)
                    books(self.url, *self.reader)
                    with self.progress:
                        self.requests += 1
                        self.progress.notify_all()
        except Exception as exc:  # reported by the test
            self.errors.append(repr(exc))
            with self.progress:
                self.progress.notify_all()

    def wait_for(self, count: int) -> None:
        with self.progress:
            assert self.progress.wait_for(
                lambda: self.requests >= count or bool(self.errors), timeout=120
            ), "the shopper made no progress"
        assert not self.errors, self.errors


def test_backup_while_serving_restores_the_same_books(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, copy = databases
    backup_file = tmp_path / ("didstore.backup" if BACKEND == "postgresql" else "didstore.db")
    with serve_process(tmp_path, source) as url:
        alice = new_account(source, "Alice")
        bob = new_account(source, "Bob")
        numbers = stock(source, tmp_path, 40)
        buy = didstore("numbers", "buy", *numbers[:3], "--yes", "--json", DIDSTORE_URL=url,
                       DIDSTORE_AUTH_ID=alice[0], DIDSTORE_AUTH_TOKEN=alice[1])  # fmt: skip
        assert json.loads(buy.stdout)["succeeded"] == 3, buy.stdout
        alice_books = books(url, *alice)
        assert alice_books == (CREDIT - 3 * UPFRONT, sorted(numbers[:3]))

        shopper = Shopper(url, bob, alice, numbers[3:])
        thread = threading.Thread(target=shopper.run)
        thread.start()
        try:
            shopper.wait_for(3)  # the server is busy selling when the backup starts
            before = shopper.requests
            done = didstore("db", "backup", "--database-url", source, "--out", str(backup_file),
                            "--json")  # fmt: skip
            shopper.wait_for(shopper.requests + 2)  # ... and still is after it
        finally:
            shopper.stop.set()
            thread.join(timeout=120)
        assert not shopper.errors, shopper.errors
        report: dict[str, Any] = json.loads(done.stdout)
        assert report["action"] == "backup" and report["bytes"] == backup_file.stat().st_size
        assert before >= 3 and len(shopper.bought) >= before + 2
        assert books(url, *alice) == alice_books  # Alice was only read meanwhile

    restored = didstore("db", "restore", str(backup_file), "--database-url", copy, "--json")
    assert json.loads(restored.stdout)["replaced_data"] is False
    verify = didstore("ledger", "verify", "--database-url", copy, "--json")
    assert json.loads(verify.stdout) == {"ok": True, "problems": []}

    with serve_process(tmp_path, copy) as url:
        assert books(url, *alice) == alice_books
        balance, held = books(url, *bob)
    # one consistent moment: Bob's first k purchases, each paid for, none half-done
    k = len(held)
    assert before <= k <= len(shopper.bought)
    assert held == sorted(shopper.bought[:k])
    assert balance == CREDIT - k * UPFRONT


def _account_names(database_url: str) -> list[str]:
    engine = make_engine(database_url, pool_size=1)
    try:
        with engine.connect() as conn:
            return sorted(str(r[0]) for r in conn.execute(text("SELECT name FROM accounts")))
    finally:
        engine.dispose()


def test_restore_refuses_a_database_holding_data_without_yes(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, target = databases
    new_account(source, "From the backup")
    new_account(target, "Already there")
    backup_file = tmp_path / "source.backup"
    didstore("db", "backup", "--database-url", source, "--out", str(backup_file))

    refused = didstore("db", "restore", str(backup_file), "--database-url", target, ok=False)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "holds data" in refused.stderr and "--yes" in refused.stderr
    assert "accounts" in refused.stderr
    assert _account_names(target) == ["Already there"]  # untouched

    done = didstore("db", "restore", str(backup_file), "--database-url", target, "--yes")
    assert "replacing its data" in done.stdout
    assert _account_names(target) == ["From the backup"]
    didstore("ledger", "verify", "--database-url", target)


def test_backup_keeps_an_existing_file_unless_forced(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source, _ = databases
    existing = tmp_path / "kept.backup"
    existing.write_bytes(b"yesterday")
    refused = didstore("db", "backup", "--database-url", source, "--out", str(existing), ok=False)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert existing.read_bytes() == b"yesterday"
    didstore("db", "backup", "--database-url", source, "--out", str(existing), "--force")
    assert existing.read_bytes() != b"yesterday"
    assert oct(existing.stat().st_mode & 0o777) == oct(0o600)  # token hashes, customer data
    assert [p.name for p in tmp_path.iterdir() if ".partial" in p.name] == []


def test_backup_and_restore_say_what_is_wrong(tmp_path: Path) -> None:
    """No pg_dump, a file that is no backup, a backup of the other kind: exit 1 or 2 with
    one line, before any database is touched."""
    empty_path = tmp_path / "bin"
    empty_path.mkdir()
    pg = "postgresql://didstore@127.0.0.1:9/none"  # nothing listens: never reached
    no_tool = didstore("db", "backup", "--database-url", pg, "--out", str(tmp_path / "x"),
                       ok=False, PATH=str(empty_path))  # fmt: skip
    assert no_tool.returncode == 1
    assert "pg_dump not found on PATH" in no_tool.stderr and "postgresql-client" in no_tool.stderr
    assert "Traceback" not in no_tool.stderr

    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a backup at all")
    bad = didstore("db", "restore", str(junk), "--database-url", pg, ok=False)
    assert bad.returncode == 2 and "is not a didstore backup" in bad.stderr

    sqlite_file = tmp_path / "small.sqlite3"
    didstore("db", "upgrade", "--database-url", f"sqlite:///{sqlite_file}")
    other = didstore("db", "restore", str(sqlite_file), "--database-url", pg, ok=False)
    assert other.returncode == 2 and "is a SQLite backup" in other.stderr

    missing = didstore("db", "restore", str(tmp_path / "nope"), "--database-url", pg, ok=False)
    assert missing.returncode == 1 and "no backup file" in missing.stderr


def test_a_sqlite_backup_restores_into_a_new_file(tmp_path: Path) -> None:
    """The SQLite restore creates a missing target file; the copy is a single file."""
    source = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    new_account(source, "Kept")
    backup_file = tmp_path / "nightly.db"
    didstore("db", "backup", "--database-url", source, "--out", str(backup_file))
    assert not list(tmp_path.glob("nightly.db-*"))  # no -wal/-shm: one self-contained file
    target = tmp_path / "new" / "restored.sqlite3"
    target.parent.mkdir()
    done = didstore("db", "restore", str(backup_file), "--database-url", f"sqlite:///{target}")
    assert "an empty database" in done.stdout
    assert _account_names(f"sqlite:///{target}") == ["Kept"]
    didstore("ledger", "verify", "--database-url", f"sqlite:///{target}")
