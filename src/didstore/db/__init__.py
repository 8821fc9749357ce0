"""Storage: SQLAlchemy Core tables, engine setup, Alembic migrations."""
