"""httpx transports that misbehave on purpose: the network, not our server, is faked."""

from __future__ import annotations

from collections.abc import Callable

import httpx

Match = Callable[[httpx.Request], bool]


def is_purchase(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith("/purchase-from-inventory")


class DropFirstResponse(httpx.BaseTransport):
    """Forwards every request to the real server, but for the first matching one throws the
    server's answer away and reports a dropped connection, as a flaky network would."""

    def __init__(self, match: Match = is_purchase) -> None:
        self.inner = httpx.HTTPTransport()
        self.match = match
        self.dropped = 0
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if self.match(request):
            self.seen.append(request)
            if not self.dropped:
                response.read()
                response.close()
                self.dropped += 1
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
        return response

    def close(self) -> None:
        self.inner.close()


class AsyncDropFirstResponse(httpx.AsyncBaseTransport):
    def __init__(self, match: Match = is_purchase) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.match = match
        self.dropped = 0
        self.seen: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if self.match(request):
            self.seen.append(request)
            if not self.dropped:
                await response.aread()
                await response.aclose()
                self.dropped += 1
                raise httpx.RemoteProtocolError(
                    "Server disconnected without sending a response.", request=request
                )
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Counting(httpx.BaseTransport):
    """Counts requests on their way to the real server."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()
