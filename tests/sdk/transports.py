"""httpx transports that misbehave on purpose: the network, not our server, is faked. Each
works for both flavours (``handle_request`` and ``handle_async_request``)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Match = Callable[[httpx.Request], bool]


def is_purchase(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/purchase-from-inventory")


class Recording(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Forwards every request to the real server and keeps a copy of each."""

    def __init__(self) -> None:
        self.sync_inner = httpx.HTTPTransport()
        self.async_inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.sync_inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.async_inner.handle_async_request(request)

    def close(self) -> None:
        self.sync_inner.close()

    async def aclose(self) -> None:
        await self.async_inner.aclose()


class DropFirstResponse(Recording):
    """Forwards every request to the real server, but for the first matching one throws the
    server's answer away and reports a dropped connection, as a flaky network would."""

    def __init__(self, match: Match = is_purchase) -> None:
        super().__init__()
        self.match = match
        self.dropped = 0
        self.seen: list[httpx.Request] = []

    def _drop(self, request: httpx.Request) -> bool:
        if not self.match(request):
            return False
        self.seen.append(request)
        if self.dropped:
            return False
        self.dropped += 1
        return True

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self._drop(request):
            response.read()
            response.close()
            raise httpx.RemoteProtocolError("Server disconnected.", request=request)
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        if self._drop(request):
            await response.aread()
            await response.aclose()
            raise httpx.RemoteProtocolError("Server disconnected.", request=request)
        return response


def scripted(*responses: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that answers with ``responses`` in order (no server at all), for the retry
    rules that a healthy server never exercises; it records what the SDK sent."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.MockTransport(handler), seen
