"""Resolution half of the outbound-URL rule (``domain/urls.py``): a stored URL's host name
must not resolve to a private address. Resolved on the event loop's resolver (never
blocking it), with a short timeout; a name that does not resolve now is accepted, since
whoever calls the URL later resolves it again and checks every address then.

Whoever calls such a URL connects through ``PinnedBackend``: it resolves the name once,
checks every address, and connects to an address it checked. Checking with one resolution
and letting the HTTP client resolve again to connect would leave a DNS-rebinding window: a
name that answers a public address to the check and a private one a moment later would get
a request onto the private network."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore

from didstore.domain.errors import InvalidInput
from didstore.domain.urls import address_allowed

RESOLVE_TIMEOUT = 2.0


async def resolved_addresses(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now (empty when it does not resolve)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(
            loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT
        )
    except (OSError, TimeoutError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})


async def check_resolved(url: str | None, field: str, *, allow_private: bool) -> None:
    """Refuse ``url`` when its host resolves to any address that is not public."""
    if url is None or allow_private:
        return
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return  # a literal address was judged by domain/urls.py already
    except ValueError:
        pass
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in await resolved_addresses(host, port):
        if not address_allowed(ipaddress.ip_address(address.split("%", 1)[0])):
            raise InvalidInput(f"{field} must point at a public address", field=field)


class AddressRefused(httpcore.ConnectError):
    """The host resolves to an address the outbound-URL rule refuses: nothing was sent."""


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]").split("%", 1)[0]))
    except ValueError:
        return None


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """An ``httpcore`` network backend that connects only to addresses that pass the
    outbound-URL rule (unless ``allow_private``), and to the very addresses it checked: the
    name is resolved here once, every address is checked, and the connection is made to the
    checked IP address. TLS still verifies the certificate for the name and sends it as SNI,
    and the request's ``Host`` header is the name (httpcore takes both from the URL)."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for ``host``: every one allowed, or ``AddressRefused``."""
        literal = _literal(host)
        found = [literal] if literal else await resolved_addresses(host, port)
        if not found:
            raise httpcore.ConnectError(f"{host} does not resolve")
        if not self.allow_private:
            for address in found:
                if not address_allowed(ipaddress.ip_address(address.split("%", 1)[0])):
                    raise AddressRefused(f"{host} resolves to a non-public address")
        return found

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception = httpcore.ConnectError(f"{host}: no address to connect to")
        for address in await self.addresses(host, port):
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the name's next address
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("outbound requests go to TCP addresses only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
