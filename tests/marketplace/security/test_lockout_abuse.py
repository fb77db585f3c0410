"""Hardening finding: wrong passwords from one address must not lock the buyer out
everywhere. Behind the TLS proxy every request comes from the proxy's address, so the
client's address is taken from X-Forwarded-For, but only when the proxy is trusted."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.marketplace.conftest import PASSWORD
from zhifu.kernel.client_ip import parse_networks
from zhifu.marketplace.models import Buyer

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def behind_the_proxy(settings: Any) -> None:
    settings.ZHIFU_TRUSTED_PROXIES = parse_networks(["10.0.0.0/24"])


def via_proxy(client_address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def log_in(client: Client, password: str, username: str = "olga@example.org") -> int:
    return client.post("/login/", {"username": username, "password": password}).status_code


def test_lockout_abuse_failures_from_a_leave_b_able_to_sign_in(buyer: Buyer) -> None:
    attacker = via_proxy("198.51.100.66")
    codes = [log_in(attacker, "wrong-guess") for _ in range(6)]
    assert codes[-1] == 429  # the attacker's own address is locked out
    assert log_in(via_proxy("203.0.113.10"), PASSWORD) == 302  # the buyer is not


def test_lockout_abuse_x_forwarded_for_from_an_untrusted_peer_is_ignored(buyer: Buyer) -> None:
    codes = [
        log_in(Client(REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"), "bad")
        for n in range(6)
    ]
    assert codes[-1] == 429  # a made-up header does not buy fresh attempts
    assert log_in(Client(REMOTE_ADDR="203.0.113.10"), PASSWORD) == 302


def test_lockout_abuse_spraying_many_accounts_from_one_address_is_limited(
    buyer: Buyer,
) -> None:
    sprayer = via_proxy("198.51.100.77")
    codes = [log_in(sprayer, "Winter2026!", f"buyer{n}@example.org") for n in range(25)]
    assert codes[0] == 200
    assert 429 in codes
    assert codes.index(429) == 19  # the 20th failure from one address in 30 minutes
    response = sprayer.post("/login/", {"username": "olga@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts from your network" in response.content.decode()
    assert log_in(via_proxy("203.0.113.10"), PASSWORD) == 302  # others are unaffected
