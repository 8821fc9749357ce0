"""Apply Alembic migrations programmatically (at server start and ``didstore db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
        cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def migrate(database_url: str) -> None:
    """Bring the database at ``database_url`` to the newest schema (server start, CLI)."""
    from didstore.db.engine import make_engine

    engine = make_engine(database_url, pool_size=1)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
