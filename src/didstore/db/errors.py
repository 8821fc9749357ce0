"""Database failures as the services see them, whichever driver raised them."""

from __future__ import annotations


class DatabaseError(Exception):
    """Base class of what ``Connection`` raises instead of a driver's own exception."""


class IntegrityViolation(DatabaseError):
    """A unique, foreign-key, not-null or check constraint refused the statement."""


class InvalidData(DatabaseError):
    """A value the database cannot store (out of range, malformed)."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached, or refused the work for now (the API answers 503)."""


class DatabaseBusy(DatabaseUnavailable):
    """SQLite: another process held the write lock for longer than the busy timeout."""


class StatementTimeout(DatabaseUnavailable):
    """PostgreSQL cancelled a statement that ran past ``statement_timeout``."""


class TransientConflict(DatabaseError):
    """A deadlock or serialization failure: the transaction was rolled back; retry it."""
