"""Driving the async services from synchronous tests.

``Blocking`` wraps the real services (``bootstrap.Services``) so a test calls
``state.numbers.purchase(...)`` and gets the result: each coroutine runs on an event loop of
its own thread (``LoopThread``), the same way the server runs them. Nothing is replaced: the
services, the database and its driver are the production ones.

``state.db`` is, for tests only, a synchronous SQLAlchemy engine on the same database, to
read and poke rows directly (``with state.db.write() as conn: conn.execute(...)``);
``state.adb`` is the services' own (async) database.
"""

from __future__ import annotations

import asyncio
import inspect
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, text

from didstore.bootstrap import Services, build
from didstore.clock import Clock
from didstore.config import Settings
from didstore.db.engine import make_engine

T = TypeVar("T")


class LoopThread:
    """An event loop running on a daemon thread; ``run`` submits a coroutine and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 300) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


class SyncDatabase:
    """A test's direct line to the database: SQLAlchemy's synchronous engine."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url, pool_size=5)
        self.dialect = self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as raw:
            conn = raw.execution_options(didstore_read_only=True)  # a plain BEGIN on SQLite
            with conn.begin():
                yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


class Blocking:
    """``Blocking(obj, loop)``: ``obj``'s coroutine methods become blocking calls; attributes
    that are objects with coroutine methods (services) are wrapped the same way."""

    def __init__(self, target: Any, loop: LoopThread) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_loop", loop)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if inspect.iscoroutinefunction(value):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self._loop.run(value(*args, **kwargs))

            return call
        if _has_coroutines(value):
            return Blocking(value, self._loop)
        return value


def _has_coroutines(value: Any) -> bool:
    if isinstance(value, type | int | str | float | bool | dict | list | tuple) or value is None:
        return False
    return any(
        inspect.iscoroutinefunction(getattr(type(value), n, None))
        for n in dir(type(value))
        if not n.startswith("__")
    )


class TestServices(Blocking):
    """The services of one test, blocking, plus direct database access."""

    __test__ = False

    def __init__(self, services: Services, loop: LoopThread, url: str) -> None:
        super().__init__(services, loop)
        object.__setattr__(self, "db", SyncDatabase(url))
        object.__setattr__(self, "adb", services.db)
        object.__setattr__(self, "services", services)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run(coro)

    def blocking(self, service: Any) -> Any:
        """Another service object on this test's database and loop, blocking."""
        return Blocking(service, self._loop)

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """A module-level async function (``run_lifecycle(db, clock)``...), blocking."""
        return self._loop.run(_await(fn(*args, **kwargs)))

    def close(self) -> None:
        self._loop.run(self.services.close())
        self.db.dispose()


async def _await(value: Awaitable[T]) -> T:
    return await value


def open_services(settings: Settings, clock: Clock, loop: LoopThread) -> TestServices:
    services = build(settings, clock)
    loop.run(services.open())
    return TestServices(services, loop, settings.database_url)


# -- races ------------------------------------------------------------------------------------
@dataclass
class Outcomes:
    """What each thread got back: a value or the exception it raised."""

    results: list[Any] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def kinds(self) -> Counter[str]:
        return Counter(type(e).__name__ for e in self.errors)


def run_together(
    racers: list[TestServices], calls: list[Callable[[TestServices], Any]], timeout: float = 120
) -> Outcomes:
    """Start one thread per call, release them at once with a barrier, collect outcomes. Call
    ``i`` runs on ``racers[i % len(racers)]``: independent service stacks (own event loop,
    own connections), so the calls race in the database, as separate processes would."""
    barrier = threading.Barrier(len(calls))
    out = Outcomes()

    def worker(call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            value = call()
        except BaseException as exc:
            with out.lock:
                out.errors.append(exc)
        else:
            with out.lock:
                out.results.append(value)

    threads = [
        threading.Thread(target=worker, args=(lambda c=c, s=racers[i % len(racers)]: c(s),))
        for i, c in enumerate(calls)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a racing thread hung"
    return out


def unexpected(out: Outcomes, *allowed: type[BaseException]) -> list[BaseException]:
    return [e for e in out.errors if not isinstance(e, allowed)]


# -- a process killed inside its transaction -----------------------------------------------------
_STALL = "didstore_test_stall"


@contextmanager
def stalled_inserts(db: SyncDatabase, table: str, when: str) -> Iterator[None]:
    """While open, a transaction that inserts into ``table`` while the SQL condition ``when``
    holds (read inside that transaction, its own rows included) stalls right there, its rows
    written and not committed: a trigger sleeps (PostgreSQL ``pg_sleep``) or counts an endless
    join (SQLite). ``kill_when_stalled`` then kills the process for real. Nothing of didstore
    is patched: the process runs the production code on the production driver."""
    with db.write() as conn:
        if db.dialect == "postgresql":
            conn.execute(
                text(
                    f"CREATE FUNCTION {_STALL}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    f" IF ({when}) THEN PERFORM pg_sleep(3600); END IF; RETURN NULL; END $$"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER {_STALL} AFTER INSERT ON {table}"
                    f" FOR EACH STATEMENT EXECUTE FUNCTION {_STALL}()"
                )
            )
        else:
            conn.execute(text(f"CREATE TABLE {_STALL} (x INTEGER)"))
            conn.execute(
                text(
                    f"INSERT INTO {_STALL} WITH RECURSIVE n(x) AS"
                    " (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000) SELECT x FROM n"
                )
            )
            conn.execute(
                text(
                    f"CREATE TRIGGER {_STALL} AFTER INSERT ON {table} WHEN {when} BEGIN"
                    f" SELECT count(*) FROM {_STALL} a, {_STALL} b, {_STALL} c; END"
                )
            )
    try:
        yield
    finally:
        with db.write() as conn:
            if db.dialect == "postgresql":
                conn.execute(text(f"DROP TRIGGER IF EXISTS {_STALL} ON {table}"))
                conn.execute(text(f"DROP FUNCTION IF EXISTS {_STALL}()"))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {_STALL}"))
                conn.execute(text(f"DROP TABLE IF EXISTS {_STALL}"))


def kill_when_stalled(
    db: SyncDatabase, proc: subprocess.Popen[str], ready: str, timeout: float = 120
) -> None:
    """Wait until ``proc`` stalls in a ``stalled_inserts`` trigger, then SIGKILL it (on
    PostgreSQL also end its server backend, as the server does once it notices the client
    is gone). PostgreSQL shows the stalled backend (``wait_event = 'PgSleep'``). SQLite only
    shows that some process holds the write lock: there the process is killed once the SQL
    condition ``ready`` holds on the committed rows (what the transactions before the
    stalled one have done) and the lock has then been held for a whole second (a
    transaction takes milliseconds; the stalled one never commits)."""
    deadline = time.monotonic() + timeout
    held_since: float | None = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"exited {proc.returncode} before stalling: {out}{err}")
        if db.dialect == "postgresql":
            with db.read() as conn:
                pid = conn.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event = 'PgSleep'"
                    )
                ).scalar()
            if pid is not None:
                proc.kill()
                proc.wait(timeout)
                with db.write() as conn:
                    conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                return
        else:
            if _writer_inside(db, ready):
                held_since = held_since or time.monotonic()
                if time.monotonic() - held_since >= 1.0:
                    proc.kill()
                    proc.wait(timeout)
                    return
            else:
                held_since = None
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("the process never stalled")


def _writer_inside(db: SyncDatabase, ready: str) -> bool:
    """SQLite: ``ready`` holds on the committed rows and some process holds the write lock."""
    probe = sqlite3.connect(str(db.engine.url.database), timeout=1, isolation_level=None)
    try:
        if not probe.execute(f"SELECT {ready}").fetchone()[0]:
            return False
        probe.execute("PRAGMA busy_timeout = 0")
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # "database is locked": a writer is inside
            return True
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()
