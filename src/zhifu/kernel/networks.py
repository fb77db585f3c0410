"""IP networks as settings name them: ``["10.0.0.0/8", "::1"]`` (trusted proxies, the
outbound allow-list)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR ranges, blanks skipped; ValueError names a bad one."""
    networks = []
    for value in values:
        if not value.strip():
            continue
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or CIDR range") from None
    return tuple(networks)
