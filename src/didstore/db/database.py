"""The database as the services use it: ``async with db.read()`` / ``async with db.write()``.

One driver per database, chosen once from the URL (docs/adr/0013-one-request-path.md):

- **PostgreSQL**: psycopg 3's async connections from one ``psycopg_pool`` pool. Connections
  are in autocommit mode, so a read is one round trip; ``write()`` wraps its statements in
  BEGIN/COMMIT. Statements run often are prepared by psycopg (its default threshold); those
  marked ``execution_options(prepare=False)`` never are.
- **SQLite**: the standard ``sqlite3`` module, called on the event loop itself. A statement
  takes microseconds, so handing it to a thread would cost more than it saves; and because
  nothing inside a transaction yields to the loop, the server's writes never interleave.
  Write transactions take the lock up front (``BEGIN IMMEDIATE``); when another process holds
  it, the wait happens in ``asyncio.sleep`` steps, never by blocking the loop.

Both run SQLAlchemy Core statements compiled once per dialect (``db/plans.py``) and return
the same ``Result`` rows, so a use case is written once for both databases.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Table, create_engine
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.dml import ValuesBase

from didstore.db import errors
from didstore.db.plans import Plan, Plans, Row

#: PostgreSQL pool size per server process.
POOL_MIN = 2
POOL_MAX = 10
#: How long a SQLite write waits for another process's write lock before giving up (503);
#: a shorter ``statement_timeout`` bounds it too.
SQLITE_LOCK_WAIT = 30.0
#: SQLite calls the statement-timeout check every this many virtual-machine instructions.
SQLITE_PROGRESS_STEPS = 10_000


class Result:
    """The rows of one statement (all fetched), and how many rows it changed."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[Row], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Any:
        return iter(self._rows)

    def all(self) -> list[Row]:
        return self._rows

    def first(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def one(self) -> Row:
        if len(self._rows) != 1:
            raise errors.DatabaseError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def one_or_none(self) -> Row | None:
        if len(self._rows) > 1:
            raise errors.DatabaseError(f"expected at most one row, got {len(self._rows)}")
        return self.first()

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        return self.one()[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return None if row is None else row[0]

    def scalars(self) -> list[Any]:
        return [r[0] for r in self._rows]

    def mappings(self) -> list[dict[str, Any]]:
        return [r._mapping for r in self._rows]


class Connection(ABC):
    """One connection, inside a read or a write unit of work."""

    dialect: str

    def __init__(self, plans: Plans) -> None:
        self._plans = plans

    async def execute(self, stmt: ClauseElement, params: Mapping[str, Any] | None = None) -> Result:
        # As SQLAlchemy's engine does: an INSERT or UPDATE is compiled for the keys given.
        keys = tuple(sorted(params)) if params and isinstance(stmt, ValuesBase) else None
        plan, sql, values = self._plans.statement(stmt, params, keys)
        return await self._run(plan, sql, values)

    async def execute_many(self, stmt: ClauseElement, rows: Sequence[Mapping[str, Any]]) -> int:
        """The same statement for each parameter set (all with the same keys); returns how
        many rows the executions changed in all."""
        if not rows:
            return 0
        keys = tuple(sorted(rows[0]))
        prepared = [self._plans.statement(stmt, row, keys) for row in rows]
        return await self._run_many(prepared[0][1], [values for _, _, values in prepared])

    async def insert_rows(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert many rows (same keys each); PostgreSQL uses COPY, several times faster."""
        if rows:
            await self.execute_many(table.insert(), rows)

    @abstractmethod
    async def _run(self, plan: Plan, sql: str, values: dict[str, Any]) -> Result: ...

    @abstractmethod
    async def _run_many(self, sql: str, values: list[dict[str, Any]]) -> int: ...

    @abstractmethod
    def savepoint(self) -> Any:
        """``async with conn.savepoint():`` undoes only its own statements on an error."""


class Database(ABC):
    """One database, opened by ``open()`` and closed by ``close()``."""

    dialect: str
    plans: Plans

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def read(self) -> Any:
        """``async with db.read() as conn``: reads, each seeing committed data."""

    @abstractmethod
    def write(self) -> Any:
        """``async with db.write() as conn``: one transaction, committed when the block ends
        normally, rolled back on any exception."""


def _dialect(url: str, **kwargs: Any) -> Dialect:
    """SQLAlchemy's dialect for ``url``, initialised against the real server (version and
    features), without keeping an engine."""
    engine = create_engine(url, **kwargs)
    try:
        with engine.connect():
            pass
        return engine.dialect
    finally:
        engine.dispose()


# -- PostgreSQL ------------------------------------------------------------------------------
def _pg_error(exc: Exception) -> errors.DatabaseError:
    import psycopg
    from psycopg import errors as pge

    if isinstance(exc, pge.QueryCanceled):
        return errors.StatementTimeout(str(exc))
    if isinstance(exc, pge.SerializationFailure | pge.DeadlockDetected):
        return errors.TransientConflict(str(exc))
    if isinstance(exc, psycopg.IntegrityError):
        return errors.IntegrityViolation(str(exc))
    if isinstance(exc, psycopg.DataError):
        return errors.InvalidData(str(exc))
    if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
        return errors.DatabaseUnavailable(str(exc))
    return errors.DatabaseError(str(exc))


class PgConnection(Connection):
    dialect = "postgresql"

    def __init__(self, plans: Plans, raw: Any) -> None:
        super().__init__(plans)
        self.raw = raw

    async def _run(self, plan: Plan, sql: str, values: dict[str, Any]) -> Result:
        import psycopg

        try:
            cursor = await self.raw.execute(sql, values, prepare=plan.prepare)
            # ``pgresult.nfields`` rather than ``description``, which builds an object per
            # column on every call
            result = cursor.pgresult
            rows = plan.rows(await cursor.fetchall()) if result and result.nfields else []
        except psycopg.Error as exc:
            raise _pg_error(exc) from exc
        return Result(rows, cursor.rowcount)

    async def _run_many(self, sql: str, values: list[dict[str, Any]]) -> int:
        import psycopg

        try:
            async with self.raw.cursor() as cursor:
                await cursor.executemany(sql, values)
                return int(cursor.rowcount)
        except psycopg.Error as exc:
            raise _pg_error(exc) from exc

    async def insert_rows(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        import psycopg
        from psycopg.types.json import Json

        if not rows:
            return
        names = list(rows[0])
        try:
            async with (
                self.raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
            ):
                for row in rows:
                    await copy.write_row([_copy_value(row[n], Json) for n in names])
        except psycopg.Error as exc:
            raise _pg_error(exc) from exc

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        import psycopg

        try:
            async with self.raw.transaction():
                yield
        except psycopg.Error as exc:
            raise _pg_error(exc) from exc


def _copy_value(value: Any, json: Any) -> Any:
    if isinstance(value, datetime):  # stored as naive UTC (db/types.py)
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, dict | list):
        return json(value)
    return value


class PgDatabase(Database):
    dialect = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        min_size: int = POOL_MIN,
        max_size: int = POOL_MAX,
        statement_timeout: float = 0,
    ) -> None:
        self.url = url
        self._min, self._max = min_size, max_size
        #: seconds: PostgreSQL cancels a statement that runs (or waits for a lock) longer,
        #: and a request waits at most this long for a pooled connection; 0 = no bound
        self.statement_timeout = statement_timeout
        self._pool: Any = None
        self.plans = Plans.for_dialect(_dialect(url))

    async def open(self) -> None:
        from psycopg.types.json import set_json_loads
        from psycopg_pool import AsyncConnectionPool

        async def configure(conn: Any) -> None:
            set_json_loads(orjson.loads, conn)

        conninfo = make_url(self.url).set(drivername="postgresql")
        kwargs: dict[str, Any] = {"autocommit": True}
        if self.statement_timeout:
            # set at connection start-up (no extra round trip); QueryCanceled -> 503
            kwargs["options"] = f"-c statement_timeout={int(self.statement_timeout * 1000)}"
        self._pool = AsyncConnectionPool(
            conninfo.render_as_string(hide_password=False),
            min_size=self._min,
            max_size=self._max,
            kwargs=kwargs,
            configure=configure,
            open=False,
            name="didstore",
            timeout=self.statement_timeout or 30.0,
        )
        await self._pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        from psycopg_pool import PoolTimeout

        if self._pool is None:
            raise errors.DatabaseUnavailable("the database is not open")
        try:
            async with self._pool.connection() as raw:
                yield raw
        except PoolTimeout as exc:
            raise errors.DatabaseUnavailable(str(exc)) from exc

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self._connection() as raw:
            yield PgConnection(self.plans, raw)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        import psycopg

        async with self._connection() as raw:
            try:
                async with raw.transaction():
                    yield PgConnection(self.plans, raw)
            except psycopg.Error as exc:  # the COMMIT itself failed
                raise _pg_error(exc) from exc


# -- SQLite ----------------------------------------------------------------------------------
def _sqlite_error(exc: sqlite3.Error | OverflowError) -> errors.DatabaseError:
    if isinstance(exc, sqlite3.IntegrityError):
        return errors.IntegrityViolation(str(exc))
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return errors.DatabaseBusy(str(exc))
    if isinstance(exc, sqlite3.OperationalError) and "interrupted" in str(exc):
        return errors.StatementTimeout("statement ran past the statement timeout")
    if isinstance(exc, sqlite3.DataError | sqlite3.InterfaceError | OverflowError):
        return errors.InvalidData(str(exc))
    if isinstance(exc, sqlite3.OperationalError):
        return errors.DatabaseUnavailable(str(exc))
    return errors.DatabaseError(str(exc))


class SqliteConnection(Connection):
    dialect = "sqlite"

    def __init__(self, plans: Plans, raw: sqlite3.Connection) -> None:
        super().__init__(plans)
        self.raw = raw
        self._savepoints = 0

    async def _run(self, plan: Plan, sql: str, values: dict[str, Any]) -> Result:
        _start_statement(self.raw)
        try:
            cursor = self.raw.execute(sql, values)
            rows = plan.rows(cursor.fetchall()) if cursor.description else []
        except (sqlite3.Error, OverflowError) as exc:
            raise _sqlite_error(exc) from exc
        finally:
            _end_statement(self.raw)
        return Result(rows, cursor.rowcount)

    async def _run_many(self, sql: str, values: list[dict[str, Any]]) -> int:
        _start_statement(self.raw)
        try:
            return self.raw.executemany(sql, values).rowcount
        except (sqlite3.Error, OverflowError) as exc:
            raise _sqlite_error(exc) from exc
        finally:
            _end_statement(self.raw)

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        self._savepoints += 1
        name = f"sp{self._savepoints}"
        self.raw.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.raw.execute(f"ROLLBACK TO {name}")
            self.raw.execute(f"RELEASE {name}")
            raise
        self.raw.execute(f"RELEASE {name}")


class _TimedConnection(sqlite3.Connection):
    """A ``sqlite3`` connection whose statements SQLite interrupts past ``deadline``
    (``time.monotonic()``), through a progress handler: the equivalent of PostgreSQL's
    ``statement_timeout`` (an interrupted statement raises "interrupted": a 503)."""

    statement_timeout: float = 0.0
    deadline: float = float("inf")

    def check_deadline(self) -> int:
        return 1 if time.monotonic() > self.deadline else 0


def _start_statement(raw: sqlite3.Connection) -> None:
    if isinstance(raw, _TimedConnection) and raw.statement_timeout:
        raw.deadline = time.monotonic() + raw.statement_timeout


def _end_statement(raw: sqlite3.Connection) -> None:
    if isinstance(raw, _TimedConnection):
        raw.deadline = float("inf")


#: The write transaction open in the current task, to refuse a nested one (it would wait
#: for itself forever).
_writing: contextvars.ContextVar[SqliteDatabase | None] = contextvars.ContextVar(
    "didstore_sqlite_writing", default=None
)


class SqliteDatabase(Database):
    dialect = "sqlite"

    def __init__(
        self, url: str, *, synchronous: str = "full", statement_timeout: float = 0
    ) -> None:
        if synchronous not in ("full", "normal"):
            raise ValueError(f"SQLite synchronous must be full or normal, got {synchronous!r}")
        #: full: every commit is on disk before the request answers (fsync, ~1 ms here, run
        #: off the event loop); normal: WAL keeps the database consistent after a power loss,
        #: but the last commits may be lost (ADR 0013)
        self.durable = synchronous == "full"
        parsed = make_url(url)
        self.path = parsed.database or ":memory:"
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.plans = Plans.for_dialect(
            _dialect(url, paramstyle="named", json_deserializer=orjson.loads)
        )
        #: seconds a statement may run, and the longest wait for another process's lock
        self.statement_timeout = statement_timeout
        self._idle: list[sqlite3.Connection] = []
        self._write_lock = asyncio.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=512,
            factory=_TimedConnection,
        )
        if self.statement_timeout:
            conn.statement_timeout = self.statement_timeout
            conn.set_progress_handler(conn.check_deadline, SQLITE_PROGRESS_STEPS)
        conn.execute("PRAGMA busy_timeout=0")  # waits happen in asyncio.sleep (begin below)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if self.durable else 'NORMAL'}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    async def open(self) -> None:
        if not self._idle:
            self._idle.append(await self._retry(self._connect))

    async def close(self) -> None:
        while self._idle:
            self._idle.pop().close()

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[sqlite3.Connection]:
        raw = self._idle.pop() if self._idle else await self._retry(self._connect)
        try:
            yield raw
        finally:
            if raw.in_transaction:  # never hand back a connection mid-transaction
                raw.close()
            else:
                self._idle.append(raw)

    async def _retry(self, attempt: Any) -> Any:
        """Run ``attempt`` until SQLite stops answering "database is locked"."""
        wait = SQLITE_LOCK_WAIT
        if self.statement_timeout:
            wait = min(wait, self.statement_timeout)
        deadline = time.monotonic() + wait
        pause = 0.001
        while True:
            try:
                return attempt()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise _sqlite_error(exc) from exc
                if time.monotonic() > deadline:
                    raise errors.DatabaseBusy(
                        "the database is locked by another process; try again"
                    ) from exc
                await asyncio.sleep(pause)
                pause = min(pause * 2, 0.05)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        async with self._connection() as raw:
            await self._retry(lambda: raw.execute("BEGIN"))
            try:
                yield SqliteConnection(self.plans, raw)
            finally:
                raw.execute("COMMIT")

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Connection]:
        if _writing.get() is self:
            raise RuntimeError("nested write transaction on SQLite (it would wait for itself)")
        async with self._write_lock, self._connection() as raw:
            await self._retry(lambda: raw.execute("BEGIN IMMEDIATE"))
            token = _writing.set(self)
            try:
                yield SqliteConnection(self.plans, raw)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            else:
                try:
                    if self.durable:  # the fsync must not stall every other request
                        await asyncio.to_thread(raw.execute, "COMMIT")
                    else:
                        raw.execute("COMMIT")
                except sqlite3.Error as exc:
                    raw.execute("ROLLBACK")
                    raise _sqlite_error(exc) from exc
            finally:
                _writing.reset(token)


def open_database(
    url: str, *, sqlite_synchronous: str = "full", statement_timeout: float = 0
) -> Database:
    """The database for a ``sqlite:///…`` or ``postgresql://…`` URL (not yet opened);
    ``statement_timeout`` (seconds, 0 = none) bounds each statement and each wait."""
    from didstore.db.engine import normalize_url

    target = normalize_url(url)
    backend = make_url(target).get_backend_name()
    if backend == "sqlite":
        return SqliteDatabase(
            target, synchronous=sqlite_synchronous, statement_timeout=statement_timeout
        )
    if backend == "postgresql":
        return PgDatabase(target, statement_timeout=statement_timeout)
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


def as_rows(rows: Iterable[Row]) -> list[dict[str, Any]]:
    return [r._mapping for r in rows]
