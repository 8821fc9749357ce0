"""Pure ASGI middleware: ``Idempotency-Key`` on every POST and DELETE.

The key is scoped to the authenticated caller (an account's ``auth_id``, or ``operator``).
A request without a valid credential is passed through untouched (the route answers 401).
See :mod:`didstore.services.idempotency` for the rules; replayed answers carry
``Idempotent-Replayed: true``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from didstore import metrics
from didstore.api.auth import authenticate
from didstore.api.deps import services
from didstore.api.errors import database_response, error_body, retry_after
from didstore.db.errors import DatabaseError
from didstore.domain.errors import DomainError
from didstore.services.idempotency import StoredResponse, fingerprint, redact, should_store

log = logging.getLogger("didstore.api")

METHODS = ("POST", "DELETE")
HEADER = b"idempotency-key"


async def _send_json(send: Send, status: int, body: bytes, extra: list[Any]) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, exc: DomainError) -> None:
    status, body = error_body(exc)
    wait = retry_after(exc)
    extra = [(b"retry-after", wait.encode())] if wait else []
    await _send_json(send, status, orjson.dumps(body), extra)


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        raw_key = next((v for k, v in scope.get("headers", ()) if k == HEADER), None)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > 255 or not key.isprintable() or not key.isascii():
            await _send_json(
                send,
                400,
                orjson.dumps(
                    {
                        "error": "invalid_request",
                        "message": "Idempotency-Key must be 1-255 printable ASCII characters",
                    }
                ),
                [],
            )
            return

        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away before sending its body
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        request = Request(scope, replay_receive)
        try:
            principal = await authenticate(request)
        except DomainError:
            sent_body = False
            await self.app(scope, replay_receive, send)
            return
        except DatabaseError as exc:
            await _database_error(scope, send, exc)
            return
        caller = "operator" if principal.account is None else principal.account.auth_id
        service = services(request).idempotency
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            stored = await service.begin(
                caller,
                key,
                method=method,
                path=path,
                fingerprint=fingerprint(method, path, query, body),
            )
        except DomainError as exc:
            await _error(send, exc)
            return
        except DatabaseError as exc:  # nothing was claimed: nothing to free
            await _database_error(scope, send, exc)
            return
        if stored is not None:
            await _send_stored(send, stored)
            return

        status = 500
        content_type = ""
        out: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status, content_type
            if message["type"] == "http.response.start":
                status = int(message["status"])
                for k, v in message.get("headers", ()):
                    if k.lower() == b"content-type":
                        content_type = v.decode("latin-1")
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        sent_body = False
        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await _settle(service.abandon(caller, key))
            raise
        if should_store(status):
            stored_body = redact(b"".join(out), content_type)
            await _settle(
                service.finish(caller, key, StoredResponse(status, stored_body, content_type))
            )
        else:
            await _settle(service.abandon(caller, key))


async def _settle(step: Awaitable[None]) -> None:
    """Record a request's outcome; when the database cannot be written (it may be why the
    request failed) the key stays claimed only until its in-flight lock lapses
    (``IN_FLIGHT_LOCK``, seconds), then a retry runs for real."""
    try:
        await step
    except DatabaseError:
        log.warning("could not record an idempotency outcome; the key frees itself shortly")


async def _database_error(scope: Scope, send: Send, exc: DatabaseError) -> None:
    response = database_response(exc, scope.get("state", {}).get("request_id", ""))
    await _send_json(
        send,
        response.status_code,
        bytes(response.body),
        [(b"retry-after", response.headers["retry-after"].encode())]
        if "retry-after" in response.headers
        else [],
    )


async def _send_stored(send: Send, stored: StoredResponse) -> None:
    metrics.IDEMPOTENT_REPLAYS.inc()
    headers = [
        (b"content-length", str(len(stored.body)).encode()),
        (b"idempotent-replayed", b"true"),
    ]
    if stored.content_type:
        headers.append((b"content-type", stored.content_type.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})
