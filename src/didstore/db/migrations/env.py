"""Alembic environment: runs against the connection handed over by didstore.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from didstore.db.tables import metadata

config = context.config


def _configure(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite: ALTER via table copy
        compare_type=True,
    )


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
else:  # plain `alembic` CLI use (e.g. autogenerate during development)
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite:///didstore.sqlite3")
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
