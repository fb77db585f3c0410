"""Issue 9 finding 5 over the real demo: the three sites and the second shop on four loopback
hosts, each answering only its own host name (browsers share cookies between ports of one
host)."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from tests.harness.demo import Demo


def _addresses_listening(port: int) -> set[str]:
    """The IPv4 addresses a TCP socket listens on at port (from /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, port_hex = local.split(":")
        if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def _status(url: str, host: str) -> int:
    request = urllib.request.Request(url + "/healthz", headers={"Host": host})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310 - local
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_demo_runs_each_site_on_its_own_loopback_host(demo: Demo) -> None:
    demo.start()
    hosts = {site: urlsplit(url).hostname for site, url in demo.urls.items()}
    assert hosts == {
        "wallet": "localhost",
        "marketplace": "127.0.0.1",
        "cardnet": "127.0.0.2",
        "bazaar": "127.0.0.3",
    }
    assert _addresses_listening(demo.ports["marketplace"]) == {"127.0.0.1"}
    assert _addresses_listening(demo.ports["bazaar"]) == {"127.0.0.3"}
    assert _addresses_listening(demo.ports["cardnet"]) == {"127.0.0.2"}
    assert _addresses_listening(demo.ports["wallet"]) == {"127.0.0.1"}  # and ::1 if present
    for site, url in demo.urls.items():
        own = urlsplit(url).netloc
        assert _status(url, own) == 200, site
        for other, other_url in demo.urls.items():
            if other != site:
                foreign = f"{urlsplit(other_url).hostname}:{demo.ports[site]}"
                assert _status(url, foreign) == 400, (site, foreign)
    assert demo.stop() == 0
