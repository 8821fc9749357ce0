"""The outbound-URL rule (domain/urls.py): every form an attacker uses to reach a private
address is refused; public URLs pass; the operator may allow private hosts."""

import ipaddress

import pytest

from didstore.domain.errors import InvalidInput
from didstore.domain.urls import address_allowed, outbound_url

REFUSED = [
    "http://localhost/",
    "http://localhost./",
    "http://LOCALHOST:8080/x",
    "http://foo.localhost/",
    "http://printer.local/",
    "http://metadata.internal/",
    "http://intranet/",
    "http://127.0.0.1/",
    "http://127.1/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0/",
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://203.0.113.7/",  # documentation range
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://user:pass@example.com/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http:///nohost",
    "http://example.com:99999/",
    "http://[zzz]/",  # not an address: urlsplit raises
    "http://[::1/",
    "https://exa mple.com/",  # whitespace or a control character anywhere
    "https://example.com/a b",
    "https://example.com/x\r\nX-Injected: 1",
    "https://example.com/\x00",
    "https://exa<mple.com/",  # a host is letters, digits, '-', '_' and dots
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a00:1::1]/",  # 6to4 of 10.0.0.1
]
ACCEPTED = [
    "https://example.com/answer",
    "http://example.com:8080/x?y=1",
    "https://1.1.1.1/hook",
    "https://8.8.8.8/",
    "https://[2001:4860:4860::8888]/",
    "https://cafe.example/",
    "https://1e100.net/",
    "https://exämple.com/hook",  # an internationalised name
    "https://[64:ff9b::808:808]/",  # NAT64 of 8.8.8.8
    "https://[2002:808:808::1]/",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_odd_urls_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput):
        outbound_url(url, "webhook_url")


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_urls_pass(url: str) -> None:
    assert outbound_url(url, "webhook_url") == url


def test_the_operator_may_allow_private_hosts_but_not_bad_syntax() -> None:
    assert outbound_url("http://127.0.0.1:9000/hook", "u", allow_private=True)
    assert outbound_url("http://localhost/", "u", allow_private=True)
    for url in ("ftp://example.com/", "http://0x7f000001/", "http://u:p@example.com/"):
        with pytest.raises(InvalidInput):
            outbound_url(url, "u", allow_private=True)


def test_absent_and_required() -> None:
    assert outbound_url(None, "u") is None and outbound_url("", "u") is None
    with pytest.raises(InvalidInput):
        outbound_url(None, "u", required=True)


def test_mapped_ipv6_is_judged_as_ipv4() -> None:
    assert not address_allowed(ipaddress.ip_address("::ffff:10.0.0.1"))
    assert address_allowed(ipaddress.ip_address("::ffff:8.8.8.8"))


def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    import asyncio

    from didstore.services.outbound import check_resolved

    # check_resolved judges addresses only: "localhost" resolves (from /etc/hosts) to loopback
    with pytest.raises(InvalidInput):
        asyncio.run(check_resolved("http://localhost:8080/x", "answer_url", allow_private=False))
    asyncio.run(check_resolved("http://localhost:8080/x", "answer_url", allow_private=True))
    # a name that does not resolve now is checked again by whoever calls it later
    asyncio.run(check_resolved("https://no-such-host.invalid/x", "u", allow_private=False))
