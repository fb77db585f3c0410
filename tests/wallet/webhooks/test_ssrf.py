"""Deliveries never reach private, loopback or link-local addresses, even through a name
that resolves to one (checked after DNS), nor follow a redirect; unless allowed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wallet.merchants.support import Api, error_of
from tests.wallet.webhooks.support import deliver_all, emit, fan_out_all
from zhifu.accounts.models import Platform
from zhifu.kernel import http
from zhifu.webhooks import domain, services

REFUSED = {
    "private 10/8": "10.0.0.7",
    "private 172.16/12": "172.16.5.4",
    "private 192.168/16": "192.168.1.1",
    "loopback": "127.0.0.1",
    "loopback IPv6": "::1",
    "link-local (cloud metadata)": "169.254.169.254",
    "link-local IPv6": "fe80::1",
    "unique local IPv6": "fd00::1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "carrier-grade NAT": "100.64.0.1",
    "unspecified": "0.0.0.0",  # noqa: S104 - an address refused, not a bind
    "multicast": "224.0.0.1",
    "reserved": "240.0.0.1",
}


class Resolver:
    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> list[tuple[int, str]]:
        import socket

        self.asked.append(host)
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        return [(family, self.address)]


def _deliver_through(shop: Platform, transport: http.Transport) -> dict[str, Any]:
    services.create_endpoint(
        shop, url="https://hooks.shop.example/zhifu", enabled_events=["*"], livemode=False
    )
    event = emit("shop-a")
    fan_out_all()
    assert deliver_all(transport) == 1
    return services.event_deliveries(None, event)[0]


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_a_name_resolving_to_a_refused_address_is_not_contacted(
    shop: Platform, address: str
) -> None:
    resolver = Resolver(address)
    transport = http.HttpTransport(resolver=resolver, allowed_networks=())
    log = _deliver_through(shop, transport)
    assert resolver.asked == ["hooks.shop.example"]
    attempt = log["attempts"][0]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("AddressRefused"), attempt
    assert log["status"] == "pending"  # retried later: DNS may change back


def test_a_redirect_is_not_followed(shop: Platform) -> None:
    def wire(request: http.Request) -> http.Response:
        return http.Response(307, {"Location": "http://169.254.169.254/latest/meta-data/"})

    transport = http.MockTransport(wire)
    log = _deliver_through(shop, transport)
    assert len(transport.requests) == 1
    assert transport.requests[0].url == "https://hooks.shop.example/zhifu"
    assert log["attempts"][0]["status_code"] == 307
    assert log["attempts"][0]["error"] == "redirect not followed"
    assert log["status"] == "pending"


def test_the_demo_allows_loopback_when_configured(shop: Platform) -> None:
    resolver = Resolver("127.0.0.1")
    transport = http.HttpTransport(
        resolver=resolver, allowed_networks=http.LOOPBACK, connect_timeout=0.5
    )
    log = _deliver_through(shop, transport)
    error = log["attempts"][0]["error"] or ""
    assert not error.startswith("AddressRefused")  # allowed; nothing listens on port 443


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_a_literal_refused_address_is_refused_when_the_endpoint_is_made(address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(domain.RuleBroken):
        domain.check_url(f"https://{host}/hooks", demo=False)


@pytest.mark.parametrize(
    "url",
    [
        "http://shop.example/hooks",  # outside the demo
        "https://user:pw@shop.example/hooks",
        "https://shop.example/hooks#x",
        "ftp://shop.example/hooks",
        "https:///hooks",
        "https://shop.example:0/hooks",
        "https://shop.example/\x00",
        "https://" + "a" * 2000 + ".example/",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(domain.RuleBroken):
        domain.check_url(url, demo=False)


def test_the_api_refuses_a_private_literal_address(api: Api) -> None:
    answer = api.post(
        "/webhook_endpoints", {"url": "https://169.254.169.254/", "enabled_events": ["*"]}
    )
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "webhook_url_invalid"
    assert error_of(answer)["param"] == "url"
