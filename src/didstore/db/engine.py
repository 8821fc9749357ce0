"""Engines for SQLite (embedded default) and PostgreSQL, with the settings the notes require.

SQLite: WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for write transactions
(deferred transactions made concurrent writers fail with "database is locked").
PostgreSQL: ``plan_cache_mode=force_custom_plan`` as a connection option, so a generic plan
never turns a rare substring search from milliseconds into hundreds of milliseconds.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_SQLITE_FILE = "didstore.sqlite3"


def default_database_url() -> str:
    return os.environ.get("DIDSTORE_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_FILE}"


def normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` select the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str | None = None, *, pool_size: int = 10) -> Engine:
    target = normalize_url(url or default_database_url())
    parsed = make_url(target)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(target)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            target,
            pool_size=pool_size,
            max_overflow=pool_size * 2,
            pool_pre_ping=True,
            connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
        )
    raise ValueError(f"unsupported database URL {url!r}: use sqlite:/// or postgresql://")


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=20,
        max_overflow=40,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("didstore_read_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _orjson_loads(dbapi_conn: Any, _record: Any) -> None:
    """JSON columns read on the hot paths (``numbers.tags``) are parsed by orjson: the same
    values as the stdlib parser, several times cheaper."""
    from psycopg.types.json import set_json_loads

    set_json_loads(orjson.loads, dbapi_conn)


class Database:
    """The engine plus the two ways services open a transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._autocommit: Engine | None = None
        self._autocommit_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: commits on success, rolls back on any exception."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work. SQLite: a deferred BEGIN (readers never block writers).
        PostgreSQL: autocommit statements; under READ COMMITTED every statement takes its own
        snapshot even inside a transaction, so BEGIN/COMMIT would only add two round trips."""
        with self.engine.connect() as raw:
            if self.engine.dialect.name == "postgresql":
                yield raw.execution_options(isolation_level="AUTOCOMMIT")
                return
            conn = raw.execution_options(didstore_read_only=True)
            with conn.begin():
                yield conn

    def autocommit_engine(self) -> Engine:
        """PostgreSQL hot read paths (ADR 0009): a small pool of autocommit connections
        without pre-ping, so a read is one round trip (no ping, no BEGIN/COMMIT). A dropped
        connection fails one request and is replaced. Same connection options as ``engine``."""
        if self._autocommit is None:
            with self._autocommit_lock:
                if self._autocommit is None:
                    fast = create_engine(
                        self.engine.url,
                        pool_size=8,
                        max_overflow=8,
                        pool_pre_ping=False,
                        isolation_level="AUTOCOMMIT",
                        connect_args={"options": "-c plan_cache_mode=force_custom_plan"},
                    )
                    event.listen(fast, "connect", _orjson_loads)
                    self._autocommit = fast
        return self._autocommit

    def dispose(self) -> None:
        self.engine.dispose()
        if self._autocommit is not None:
            self._autocommit.dispose()
