"""Resolution half of the outbound-URL rule (``domain/urls.py``): a stored URL's host name
must not resolve to a private address. Resolved on the event loop's resolver (never
blocking it), with a short timeout; a name that does not resolve now is accepted, since
whoever calls the URL later resolves it again and checks every address then."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

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
