"""Per-request observability: the Prometheus request metrics and the access log, measured
once per request by one pure ASGI middleware.

It sits inside the path canonicalisation (so it sees the route the router matched:
``scope["route"].path``, the template, never the raw path with its numbers) and outside the
idempotency layer (so a replayed answer is counted and logged like any other).

The access log is one JSON object per line on the ``didstore.access`` logger (stderr by
default): time, request id, method, route template, path, status, duration in
milliseconds, the account the request named (path ``auth_id`` or ``X-Auth-ID``) and the
client address. ``DIDSTORE_ACCESS_LOG=0`` (``serve --no-access-log``) turns it off; its
cost is measured in docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from didstore import metrics

access_log = logging.getLogger("didstore.access")

#: the route label of a request no route matched (keeps the label set bounded)
UNMATCHED = "<unmatched>"
#: how long access-log lines wait to be written together (one write per batch, not per line)
FLUSH_AFTER = 0.1


def configure_access_log() -> None:
    """Give the access logger its own stderr handler printing the bare JSON lines, once."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return ""


class _Batch:
    """Access-log lines gathered on the event loop and handed to the logger together, at most
    ``FLUSH_AFTER`` seconds after the first: one logging call and one write per batch
    instead of per request (measured: the per-line logger cost a third of /healthz)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        if not self.lines:
            asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)
        self.lines.append(line)

    def flush(self) -> None:
        lines, self.lines = self.lines, []
        if lines:
            access_log.info("\n".join(lines))


class _Clock:
    """The log's timestamp text, formatted once per second (plus milliseconds)."""

    def __init__(self) -> None:
        self.second = -1
        self.prefix = ""

    def text(self) -> str:
        now = time.time()
        second = int(now)
        if second != self.second:
            self.second = second
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self.prefix}.{int((now - second) * 1000):03d}Z"


class RequestObservability:
    """Counts, times and (optionally) logs every HTTP request."""

    def __init__(self, app: ASGIApp, *, log_requests: bool = True) -> None:
        self.app = app
        self.log_requests = log_requests
        self.batch = _Batch()
        self.clock = _Clock()
        # the metric children of each (method, route, status): label lookups once each
        self.children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED
            method = scope["method"]
            key = (method, template, status)
            children = self.children.get(key)
            if children is None:
                children = self.children[key] = (
                    metrics.HTTP_REQUESTS.labels(method, template, str(status)),
                    metrics.HTTP_LATENCY.labels(method, template),
                )
            children[0].inc()
            children[1].observe(elapsed)
            if self.log_requests:
                self._log(scope, method, template, status, elapsed)

    def _log(self, scope: Scope, method: str, template: str, status: int, elapsed: float) -> None:
        account = scope.get("path_params", {}).get("auth_id") or _header(scope, b"x-auth-id")
        client = scope.get("client")
        line = {
            "ts": self.clock.text(),
            "request_id": scope.get("state", {}).get("request_id", ""),
            "method": method,
            "route": template,
            "path": scope["path"],
            "status": status,
            "duration_ms": round(elapsed * 1000, 3),
            "account": account[:64],
            "client": client[0] if client else "",
        }
        self.batch.add(orjson.dumps(line).decode())
