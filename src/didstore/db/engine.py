"""Database URLs, and SQLAlchemy engines for the schema work (Alembic migrations, tests'
database set-up). Requests and jobs do not use these engines: they use ``db/database.py``.

SQLite: WAL, a busy timeout, foreign keys, and ``BEGIN IMMEDIATE`` for write transactions.
"""

from __future__ import annotations

import os
from typing import Any

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
