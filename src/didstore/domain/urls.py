"""URLs a customer stores for someone to call later (trunk webhooks, application answer and
hangup URLs, event webhooks): the one rule against server-side request forgery.

A URL is accepted when it is http(s), names a host, carries no credentials, and its host is
neither a private, loopback, link-local, multicast or reserved address nor a name for one
(``localhost``, ``*.localhost``, ``*.internal``...). Numeric hosts must be written the
canonical way (``1.1.1.1``, ``[2606:4700::1111]``): ``127.1``, ``0x7f000001``,
``2130706433`` or ``0177.0.0.1`` are refused, because resolvers read them as addresses that
a naive check does not see. Names are resolved by the service layer (``addresses_allowed``
here decides on the addresses), and again by whoever calls the URL, since a name can change
what it points to; a caller never follows redirects.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from didstore.domain.errors import InvalidInput
from didstore.domain.fields import text

_PRIVATE_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
#: a host name: labels of letters (any script), digits, '-' and '_', separated by dots
_HOST_NAME = re.compile(r"^[\w-]+(\.[\w-]+)*$")
_NUMERIC = re.compile(r"^[0-9a-fx.]+$")
_DOTTED_QUAD = re.compile(
    r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052, the well-known NAT64 prefix


def address_allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A public unicast address. An IPv6 address that carries an IPv4 one (IPv4-mapped,
    NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) is judged by that IPv4 address too:
    a translator or relay would deliver to it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if address.ipv4_mapped is not None:
            embedded.append(address.ipv4_mapped)
        if address in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if embedded:
            return all(address_allowed(v4) for v4 in embedded)
    return address.is_global and not address.is_multicast


def outbound_url(
    value: object, field: str, *, required: bool = False, allow_private: bool = False
) -> str | None:
    """The URL, checked (``InvalidInput`` naming ``field`` otherwise); None when absent.
    ``allow_private`` (an operator setting) lets loopback and private hosts through, for
    on-premises receivers and tests; the syntax rules still apply."""
    raw = text(value, field, required=required)
    if raw is None or raw == "":
        return None
    if _SPACE_OR_CONTROL.search(raw):
        raise InvalidInput(
            f"{field} must not contain spaces or control characters (percent-encode them)",
            field=field,
        )
    try:
        parts = urlsplit(raw)
    except ValueError:  # a bracketed host that is no IPv6 address, an unclosed bracket
        raise InvalidInput(f"{field} must be an http or https URL", field=field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"{field} must be an http or https URL", field=field)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(f"{field} must not carry credentials", field=field)
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise InvalidInput(f"{field} has an invalid port", field=field) from None
    host = parts.hostname.rstrip(".").lower()
    address = _address(host, field)
    if address is None and not _HOST_NAME.match(host):
        raise InvalidInput(f"{field} has an invalid host name", field=field)
    if allow_private:
        return raw
    if address is not None:
        if not address_allowed(address):
            raise InvalidInput(f"{field} must point at a public address", field=field)
    elif host in _PRIVATE_NAMES or host.endswith(_PRIVATE_SUFFIXES) or "." not in host:
        raise InvalidInput(f"{field} must point at a public host name", field=field)
    return raw


def _address(host: str, field: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The host as an address when it is one; a numeric host in any other form than the
    canonical one is refused."""
    if ":" in host:  # urlsplit took the brackets off an IPv6 literal
        try:
            return ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise InvalidInput(f"{field} has an invalid IPv6 address", field=field) from None
    if _DOTTED_QUAD.match(host):
        return ipaddress.IPv4Address(host)
    labels = host.split(".")
    if _NUMERIC.match(host) and (host[:1].isdigit() or labels[-1].isdigit()):
        raise InvalidInput(
            f"{field}: write an IP address as four decimal numbers (e.g. 1.1.1.1)",
            field=field,
        )
    return None
