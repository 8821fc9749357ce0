"""The data shape of the side-by-side benchmark, in a database the benchmark owns.

* inventory and one main account owning ``owned`` numbers: ``bench/generate.py`` (the same
  loader as the other benchmarks; the account is created through the services);
* buyers, through the composition root (``didstore.bootstrap``): a funded payer with
  sub-accounts (purchases from one wallet) and funded main accounts (one wallet each);
* the purchase pool: available US numbers (USD, the buyers' currency), highest first as
  ``bench/purchase.py`` picks them, handed out to wrk runs so each request buys a distinct
  number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import generate  # a sibling script: bench/ is first on the path of a bench script
from sqlalchemy import create_engine, select, text

from didstore.bootstrap import Services, run
from didstore.config import Settings
from didstore.db.tables import numbers
from didstore.services.models import CLI

Credential = tuple[str, str]


@dataclass
class Dataset:
    database_url: str
    account: Credential  # the main account owning the numbers
    owned_count: int
    owned: list[str]  # a sample of its numbers (the one-number case)
    one_wallet: list[Credential]  # sub-accounts of one funded payer
    many_wallets: list[Credential]  # main accounts, each with its own wallet
    pool: list[str]  # available US numbers, each bought at most once
    taken: int = field(default=0)

    def take(self, count: int) -> list[str]:
        """The next ``count`` numbers of the pool (fewer when it runs out)."""
        return self.pool[self.taken : self.taken + count]

    def consumed(self, count: int) -> None:
        self.taken = min(len(self.pool), self.taken + count)


def fresh_database(db: str, workdir: Path, pg_url: str, pg_database: str) -> str:
    """An empty database: a SQLite file under ``workdir``, or PostgreSQL ``pg_database``
    dropped and created again."""
    if db == "sqlite":
        return f"sqlite:///{workdir / 'sbs.sqlite3'}"
    admin = create_engine(f"{pg_url.rstrip('/')}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{pg_database}"'))
    admin.dispose()
    return f"{pg_url.rstrip('/')}/{pg_database}"


def drop_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def load(url: str, workdir: Path, *, inventory: int, owned: int, buyers: int) -> Dataset:
    creds_file = workdir / "credentials.json"
    argv = ["--database-url", url, "--numbers", str(inventory), "--owned", str(owned)]
    argv += ["--credentials", str(creds_file), "--validate", "200"]
    if generate.main(argv) != 0:
        raise RuntimeError("bench/generate.py failed")
    creds = json.loads(creds_file.read_text())

    async def setup(services: Services) -> Dataset:
        accounts, wallet = services.accounts, services.wallet
        payer = await accounts.create_main_account(CLI, name="sbs-payer", currency_code="USD")
        await wallet.credit(CLI, payer.account, amount=100_000_000, currency_code="USD")
        one = []
        for i in range(max(1, buyers // 4)):
            sub = await accounts.create_sub_account(CLI, payer.account, name=f"sbs-sub-{i}")
            one.append((sub.account.auth_id, sub.auth_token))
        many = []
        for i in range(buyers):
            main = await accounts.create_main_account(
                CLI, name=f"sbs-buyer-{i}", currency_code="USD"
            )
            await wallet.credit(CLI, main.account, amount=10_000_000, currency_code="USD")
            many.append((main.account.auth_id, main.auth_token))
        async with services.db.read() as conn:
            pool = list(
                (
                    await conn.execute(
                        select(numbers.c.e164)
                        .where(numbers.c.state == "available", numbers.c.country == "US")
                        .order_by(numbers.c.e164.desc())
                    )
                ).scalars()
            )
            mine = list(
                (
                    await conn.execute(
                        select(numbers.c.e164)
                        .where(numbers.c.state == "active")
                        .order_by(numbers.c.e164)
                        .limit(1000)
                    )
                ).scalars()
            )
        return Dataset(
            database_url=url,
            account=(creds["auth_id"], creds["auth_token"]),
            owned_count=int(creds["owned"]),
            owned=mine,
            one_wallet=one,
            many_wallets=many,
            pool=pool,
        )

    return run(Settings(database_url=url), setup)
