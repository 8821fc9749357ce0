"""How ``didstore serve`` runs uvicorn: the limits that act before the application sees a
request (docs/adr/0015-limits.md).

uvicorn's C parser (httptools) accepts headers of any size and waits for them forever;
``h11_max_incomplete_event_size`` only binds its pure-Python parser (h11), which serves
fewer requests per CPU-second. ``LimitedHttpToolsProtocol`` keeps httptools and adds both
bounds: the request line and headers may take at most ``max_head_bytes`` (431) and must
arrive within ``head_timeout`` seconds of their first byte (408); either way the connection
is closed. The body cap and body timeout are the application's (``api/limits.py``).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from didstore.config import Settings


def _refusal(status: int, reason: bytes, message: bytes) -> bytes:
    body = b'{"error":"%s","message":"%s"}' % (reason, message)
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, reason.replace(b"_", b" ").title()),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


HEADERS_TOO_LARGE = _refusal(431, b"headers_too_large", b"request headers too large")
HEADERS_TIMEOUT = _refusal(408, b"request_timeout", b"request headers did not arrive in time")
MALFORMED = _refusal(400, b"invalid_request", b"malformed HTTP request (request line or headers)")


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap and a deadline on each request's head."""

    def __init__(
        self, *args: Any, max_head_bytes: int = 32768, head_timeout: float = 10.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = max_head_bytes
        self.head_timeout = head_timeout
        #: a request's head is being read (from its first byte to the end of its headers)
        self._head_open = True
        self._head_bytes = 0
        self._heads_done = 0  # heads completed on this connection
        self._head_timer: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        reading_head = self._head_open
        if reading_head and self._head_timer is None and self.head_timeout:
            self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)
        heads_before = self._heads_done
        super().data_received(data)
        # counted after parsing, and only when no head ended inside ``data``: past the end
        # of the headers it is body. A whole request (headers and body) in one read ends
        # with ``_head_open`` set again for the next request, and its body is no header.
        if reading_head and self._head_open and self._heads_done == heads_before:
            self._head_bytes += len(data)
            if self.max_head_bytes and self._head_bytes > self.max_head_bytes:
                self._refuse(HEADERS_TOO_LARGE)

    def on_headers_complete(self) -> None:
        self._head_open = False
        self._head_bytes = 0
        self._heads_done += 1
        self._cancel_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_open = True  # the next request on this connection starts its head

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._head_open and not self.transport.is_closing():
            self._refuse(HEADERS_TIMEOUT)

    def send_400_response(self, msg: str) -> None:
        """httptools could not parse the request (a control character in a header, a bad
        request line...): the usual JSON envelope rather than uvicorn's plain text."""
        self._refuse(MALFORMED)

    def _refuse(self, response: bytes) -> None:
        self._cancel_head_timer()
        self._head_open = False
        if not self.transport.is_closing():
            self.transport.write(response)
            self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run``/``uvicorn.Config`` that apply the limits of
    ``settings`` (a picklable protocol factory, so it also works with several workers)."""
    protocol = functools.partial(
        LimitedHttpToolsProtocol,
        max_head_bytes=settings.max_header_bytes,
        head_timeout=settings.header_timeout,
    )
    return {
        "http": protocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes or None,
        "timeout_keep_alive": settings.keep_alive_timeout,
    }
