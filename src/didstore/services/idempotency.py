"""Idempotency keys: a POST or DELETE retried with the same ``Idempotency-Key`` has its
first effect only once.

Rules (per caller: an account's keys never collide with another's):
- a new key is recorded ``in_flight`` before the request runs, by a primary-key insert, so
  two concurrent requests with one key cannot both run (the second gets 409);
- when the request ends with a final answer its status and body are stored, and the same
  key with the same request (method, path, query and body hash) replays them;
- the same key with a different request is refused (422);
- answers that invite a retry (5xx, 409, 429) are not stored: the key is freed, because such
  a request left no effect, and the retry runs for real;
- keys are kept 24 h; an ``in_flight`` key whose request died with its process, or whose
  outcome could not be recorded (the database was down), is taken over after
  ``IN_FLIGHT_LOCK`` (seconds: every request is bounded well below it);
- no secret is kept: a stored answer has its tokens and secrets blanked (``redact``), so a
  replay of an account creation shows the account but not its token (a lost token is
  replaced by rotating it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.errors import IntegrityViolation
from didstore.db.tables import idempotency_keys
from didstore.domain.errors import IdempotencyKeyReused, RetryableConflict

KEEP = timedelta(hours=24)
IN_FLIGHT_LOCK = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: bytes
    content_type: str


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    h = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode()):
        h.update(part)
        h.update(b"\0")
    h.update(hashlib.sha256(body).digest())
    return h.hexdigest()


#: JSON keys whose values are secrets: never stored (their replay shows an empty string).
SECRET_KEYS = frozenset({"auth_token", "access_token", "refresh_token", "secret", "password"})


def redact(body: bytes, content_type: str) -> bytes:
    """``body`` with every secret blanked, for storage (non-JSON bodies are kept as they are:
    none of ours carries a secret)."""
    if not content_type.startswith("application/json"):
        return body
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    return orjson.dumps(_blank(data))


def _blank(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("" if k in SECRET_KEYS and isinstance(v, str) else _blank(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return value


def should_store(status: int) -> bool:
    return status < 500 and status not in (409, 429)


class IdempotencyService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def begin(
        self, scope: str, key: str, *, method: str, path: str, fingerprint: str
    ) -> StoredResponse | None:
        """``None``: the caller runs the request now. Otherwise the stored answer to replay.
        Raises 422 (key reused for another request) or 409 (first request still running)."""
        t = idempotency_keys
        for _attempt in range(3):
            now = self.clock.now()
            try:
                async with self.db.write() as conn:
                    row = (
                        await conn.execute(
                            select(t).where(t.c.scope == scope, t.c.key == key).with_for_update()
                        )
                    ).first()
                    if row is not None and row.expires_at <= now:
                        await conn.execute(delete(t).where(t.c.scope == scope, t.c.key == key))
                        row = None
                    if row is None:
                        await conn.execute(
                            insert(t).values(
                                scope=scope,
                                key=key,
                                fingerprint=fingerprint,
                                method=method,
                                path=path[:500],
                                state="in_flight",
                                created_at=now,
                                locked_until=now + IN_FLIGHT_LOCK,
                                expires_at=now + KEEP,
                            )
                        )
                        return None
                    if row.fingerprint != fingerprint:
                        raise IdempotencyKeyReused(
                            "this Idempotency-Key was already used for a different request"
                        )
                    if row.state == "in_flight":
                        if row.locked_until > now:
                            raise RetryableConflict(
                                "a request with this Idempotency-Key is still in progress;"
                                " retry later"
                            )
                        await conn.execute(  # its process died: take the key over
                            update(t)
                            .where(t.c.scope == scope, t.c.key == key)
                            .values(locked_until=now + IN_FLIGHT_LOCK)
                        )
                        return None
                    return StoredResponse(
                        int(row.response_status),
                        bytes(row.response_body or b""),
                        str(row.response_content_type or ""),
                    )
            except IntegrityViolation:  # another request inserted the key first: look again
                continue
        raise RetryableConflict(
            "a request with this Idempotency-Key is still in progress; retry later"
        )

    async def finish(self, scope: str, key: str, response: StoredResponse) -> None:
        t = idempotency_keys
        async with self.db.write() as conn:
            await conn.execute(
                update(t)
                .where(t.c.scope == scope, t.c.key == key, t.c.state == "in_flight")
                .values(
                    state="done",
                    response_status=response.status,
                    response_body=response.body,
                    response_content_type=response.content_type[:100],
                )
            )

    async def abandon(self, scope: str, key: str) -> None:
        """Free a key whose request failed in a retryable way (it left no effect)."""
        t = idempotency_keys
        async with self.db.write() as conn:
            await conn.execute(
                delete(t).where(t.c.scope == scope, t.c.key == key, t.c.state == "in_flight")
            )

    async def expire(self, now: datetime) -> int:
        """Delete keys older than 24 h (the lifecycle job); returns how many."""
        t = idempotency_keys
        async with self.db.write() as conn:
            return int((await conn.execute(delete(t).where(t.c.expires_at <= now))).rowcount)
