"""Hardening finding (lockout abuse): the client address behind trusted proxies only."""

from __future__ import annotations

import pytest

from zhifu.kernel.client_ip import client_address, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8", "192.0.2.7"])


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),  # no proxy
        ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # untrusted peer: header ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # forged left part ignored
        ("10.0.0.2", "6.6.6.6, 198.51.100.1, 10.1.1.1", "198.51.100.1"),  # two proxies
        ("192.0.2.7", "2001:db8::1", "2001:db8::1"),
        ("fd00::1", "198.51.100.1", "198.51.100.1"),
        ("::ffff:10.0.0.2", "198.51.100.1", "198.51.100.1"),  # IPv4-mapped peer
        ("10.0.0.2", "10.0.0.3, 10.0.0.4", "10.0.0.3"),  # only proxies: the left-most
        ("10.0.0.2", "junk, 10.0.0.4", "10.0.0.4"),
        ("10.0.0.2", "", "10.0.0.2"),
    ],
)
def test_client_address_behind_trusted_proxies(
    remote: str, forwarded: str | None, expected: str
) -> None:
    assert client_address(remote, forwarded, PROXIES) == expected


def test_client_address_without_trusted_proxies_is_the_peer() -> None:
    assert client_address("10.0.0.2", "198.51.100.1", ()) == "10.0.0.2"


def test_client_address_bad_proxy_setting_is_named() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        parse_networks(["10.0.0.300"])
