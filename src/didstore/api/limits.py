"""Pure ASGI middleware: rate limits, failed-authentication lock-out, request body cap and
body read timeout (docs/adr/0015-limits.md). The one place the server refuses work for
volume; the header cap and header timeout live in the HTTP protocol (``http_server.py``).

Per request, in this order:

1. **Body cap**: a ``Content-Length`` above the route's cap is answered 413 before any of
   the body is read; a chunked body is counted as it streams and answered 413 as soon as it
   passes the cap (the inventory import has its own, larger cap).
2. **Failed-authentication lock-out**: a request carrying a credential whose ``auth_id``
   (or whose client address) sent too many wrong credentials in the current window gets 429
   until the window ends, whether its own credential is right or wrong and whether the
   ``auth_id`` exists: one answer, nothing learnt.
3. **Rate limit**: requests per minute per credential (an ``auth_id``, or a Bearer token by
   its hash), or per client address for requests without one; over the limit, 429. Every
   limited answer carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
   ``RateLimit-Reset`` (seconds); a 429 also ``Retry-After`` (seconds).
4. **Body timeout**: a body that has not fully arrived ``body_timeout`` seconds after the
   headers is answered 408.

Counting (``services/rate_limits.py``) is shared by every server process on PostgreSQL (one
statement per request) and in memory on SQLite. A 401 to a request that carried a credential
counts one failure for its ``auth_id`` and its address. When the counters cannot be reached
(the database is down) requests go through unlimited for ``COUNTERS_DOWN_PAUSE`` seconds:
the routes answer 503 anyway.
Answers the middleware gives itself use the API's error envelope (``api/errors.py``) and,
when the body was not read to its end, ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import math
import time
from collections.abc import Callable
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from didstore.api.errors import error_body
from didstore.config import Settings
from didstore.db.errors import DatabaseError
from didstore.domain import errors as e
from didstore.services.rate_limits import Counters, Hit

log = logging.getLogger("didstore.api")

#: Routes whose bodies may be as large as ``max_import_bytes``.
IMPORT_ROUTES = frozenset({("POST", "/api/v1/admin/inventory")})
#: Never rate limited (health checks and scrapes from the operator's own systems).
UNLIMITED_PATHS = frozenset({"/healthz", "/metrics"})
#: How many keys the per-process memory of "refused until" may hold before it is pruned.
BLOCKED_KEYS = 10_000
#: After the counters fail (the database is down), seconds the middleware stops counting
#: (requests go through; one warning), so no request waits for the counters meanwhile.
COUNTERS_DOWN_PAUSE = 5.0

_DISCONNECT: Message = {"type": "http.disconnect"}


#: A claimed ``auth_id`` longer than this is counted by its hash (real ids are ~20 chars; the
#: counters' keys are at most 200).
MAX_ID = 64


def _who(raw: bytes) -> str:
    who = raw.decode("latin-1").strip()
    return who if len(who) <= MAX_ID else "long:" + hashlib.sha256(raw).hexdigest()[:32]


def credential(headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
    """``(subject, auth_id)`` of the credential a request carries, by the rules of
    ``api/auth.authenticate`` but without checking it: the subject is the ``auth_id``
    (X-Auth headers, Basic) or the Bearer token's SHA-256; ``("", "")`` without one."""
    auth_id = token = authorization = b""
    for name, value in headers:
        if name == b"x-auth-id":
            auth_id = value
        elif name == b"x-auth-token":
            token = value
        elif name == b"authorization":
            authorization = value
    if auth_id.strip() and token.strip():
        who = _who(auth_id)
        return who, who
    scheme, _, value = authorization.partition(b" ")
    value = value.strip()
    if not value:
        return "", ""
    if scheme.lower() == b"bearer":
        return "bearer:" + hashlib.sha256(value).hexdigest()[:32], ""
    if scheme.lower() == b"basic":
        try:
            user = base64.b64decode(value, validate=True).partition(b":")[0]
        except (binascii.Error, ValueError):
            return "basic:invalid", ""
        who = _who(user)
        return (who, who) if who else ("basic:invalid", "")
    return "", ""


def retry_seconds(hit: Hit, limit: int, window: int) -> int:
    """Whole seconds until one more request fits under ``limit`` (no other request coming):
    within this window when the previous window's weight decays enough, else in the next."""
    elapsed = window - hit.reset
    if hit.hits + 1 <= limit and hit.prev_hits:
        wait = window * (1 - (limit - 1 - hit.hits) / hit.prev_hits) - elapsed
    else:
        wait = hit.reset + window * max(0.0, 1 - (limit - 1) / max(hit.hits, 1))
    return max(1, math.ceil(wait))


class Limits:
    """The middleware (module docstring). ``now`` gives epoch seconds (the services' clock, so
    tests and ``--test-clock`` move the windows)."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, counters: Counters, now: Callable[[], float]
    ) -> None:
        self.app = app
        self.counters = counters
        self.now = now
        self.rate_limit = settings.rate_limit
        self.ip_rate_limit = settings.ip_rate_limit
        self.fail_limits = (settings.auth_fail_limit, settings.ip_auth_fail_limit)
        self.counting = bool(self.rate_limit or self.ip_rate_limit or any(self.fail_limits))
        self.max_body = settings.max_body_bytes
        self.max_import = settings.max_import_bytes
        self.body_timeout = settings.body_timeout
        #: rate key -> epoch second until which this process refuses it without counting
        self._blocked: dict[str, float] = {}
        #: ``time.monotonic()`` until which counting is paused (the counters failed)
        self._paused_until = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        length: int | None = None
        chunked = False
        for name, value in headers:
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
        method, path = scope["method"], scope["path"]
        cap = self.max_import if (method, path) in IMPORT_ROUTES else self.max_body
        expects_body = chunked or bool(length)
        if cap and length is not None and length > cap:
            await _answer(send, _too_large(cap), close=True)
            return

        extra: list[tuple[bytes, bytes]] = []
        subject = auth_id = ""
        client = scope.get("client")
        address = client[0] if client else ""
        if self.counting and path not in UNLIMITED_PATHS and not self._paused():
            subject, auth_id = credential(headers)
            refusal = await self._check(subject, auth_id, address, extra)
            if refusal is not None:
                await _answer(send, refusal, extra=extra, close=expects_body)
                return

        if not expects_body:
            status = await self._run(scope, receive, send, extra)
        else:
            status = await self._run_with_body(scope, receive, send, extra, cap)
        if status == 401 and subject and any(self.fail_limits):
            keys = (f"f:id:{auth_id}" if auth_id else "", f"f:ip:{address}")
            try:
                await self.counters.fail(keys, self.now())
            except DatabaseError as exc:
                self._pause(exc)

    def _paused(self) -> bool:
        return self._paused_until > 0 and time.monotonic() < self._paused_until

    def _pause(self, exc: DatabaseError) -> None:
        """Fail open: the counters cannot be reached (the routes answer 503 themselves)."""
        log.warning(
            "rate limit counters unavailable; not limiting for %g s: %s", COUNTERS_DOWN_PAUSE, exc
        )
        self._paused_until = time.monotonic() + COUNTERS_DOWN_PAUSE

    async def _check(
        self, subject: str, auth_id: str, address: str, extra: list[tuple[bytes, bytes]]
    ) -> e.DomainError | None:
        """Count the request; the error to answer with, if it is refused."""
        now = self.now()
        if subject:
            key, limit = f"r:c:{subject}", self.rate_limit
            fail_keys = (f"f:id:{auth_id}" if auth_id else "", f"f:ip:{address}")
        else:
            key, limit = f"r:ip:{address}", self.ip_rate_limit
            fail_keys = ("", "")
        until = self._blocked.get(key)
        if until is not None:
            if now < until:
                wait = max(1, math.ceil(until - now))
                extra += _headers(limit, 0, wait)
                extra.append((b"retry-after", str(wait).encode()))
                return _rate_limited(wait)
            del self._blocked[key]
        try:
            hit = await self.counters.hit(key, fail_keys, now)
        except DatabaseError as exc:
            self._pause(exc)
            return None
        id_limit, ip_limit = self.fail_limits
        if (id_limit and hit.failures[0] >= id_limit) or (ip_limit and hit.failures[1] >= ip_limit):
            wait = max(1, math.ceil(self.counters.fail_reset(now)))
            extra.append((b"retry-after", str(wait).encode()))
            return e.RateLimited(
                f"too many failed authentication attempts; retry in {wait} s",
                retry_after=wait,
            )
        if not limit:
            return None
        remaining = max(0, math.floor(limit - hit.count))
        if hit.count <= limit:
            extra += _headers(limit, remaining, math.ceil(hit.reset))
            return None
        wait = retry_seconds(hit, limit, self.counters.window)
        if len(self._blocked) >= BLOCKED_KEYS:
            self._blocked = {k: v for k, v in self._blocked.items() if v > now}
        self._blocked[key] = now + wait
        extra += _headers(limit, 0, wait)
        extra.append((b"retry-after", str(wait).encode()))
        return _rate_limited(wait)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, extra: list[tuple[bytes, bytes]]
    ) -> int:
        """The app, for a request without a body: only the response headers are touched."""
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if extra:
                    message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
        return status

    async def _run_with_body(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        extra: list[tuple[bytes, bytes]],
        cap: int,
    ) -> int:
        """The app, for a request with a body: the body is counted against ``cap`` and must
        arrive within ``body_timeout``; past either, this middleware answers (413, 408) and
        the app sees the client gone (its own answer is dropped)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.body_timeout if self.body_timeout else None
        received = 0
        body_done = started = answered = False
        status = 0

        async def refuse(exc: e.DomainError) -> Message:
            nonlocal answered
            if not started:
                await _answer(send, exc, extra=extra, close=True)
            answered = True
            return _DISCONNECT

        async def guarded_receive() -> Message:
            nonlocal received, body_done
            if answered:
                return _DISCONNECT
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                return await refuse(
                    e.RequestTimeout(f"the request body did not arrive in {self.body_timeout:g} s")
                )
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if cap and received > cap:
                    return await refuse(_too_large(cap))
                body_done = not message.get("more_body", False)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, status
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                more = extra if body_done else [*extra, (b"connection", b"close")]
                if more:
                    message = {**message, "headers": [*message.get("headers", ()), *more]}
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)
        return status


def _headers(limit: int, remaining: int, reset: int) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(limit).encode()),
        (b"ratelimit-remaining", str(remaining).encode()),
        (b"ratelimit-reset", str(reset).encode()),
    ]


def _rate_limited(wait: int) -> e.RateLimited:
    return e.RateLimited(f"too many requests; retry in {wait} s", retry_after=wait)


def _too_large(cap: int) -> e.PayloadTooLarge:
    return e.PayloadTooLarge(f"request body larger than {cap} bytes", max_bytes=cap)


async def _answer(
    send: Send,
    exc: e.DomainError,
    *,
    extra: list[tuple[bytes, bytes]] | None = None,
    close: bool = False,
) -> None:
    status, body = error_body(exc)
    payload = orjson.dumps(body)
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        *(extra or ()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
