"""The address of the client behind a chain of trusted reverse proxies.

X-Forwarded-For is a list that every proxy appends its peer to; anyone can send one with
any addresses in it. So the header counts only when the direct peer is a trusted proxy,
and then the answer is the right-most address that is not itself a trusted proxy: the
last hop that no trusted proxy vouches for, which an outsider cannot forge.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from zhifu.kernel.networks import Address, Network, parse_networks

__all__ = ["client_address", "parse_networks"]


def _address(text: str) -> Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, trusted: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(remote_addr: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: remote_addr itself unless it is a trusted proxy."""
    peer = _address(remote_addr)
    if peer is None or not _trusted(peer, trusted) or not forwarded_for:
        return str(peer) if peer is not None else remote_addr
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:  # garbage appended by a trusted proxy: stop at the last good hop
            return str(peer)
        if not _trusted(address, trusted):
            return str(address)
        peer = address
    return str(peer)  # every hop is a trusted proxy: the left-most one is the client
