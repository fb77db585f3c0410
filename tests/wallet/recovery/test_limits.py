"""SEC-17: at most 5 recovery links an hour per address and per client address; the 6th
request gets the normal answer and no e-mail; nobody is locked out by others' requests."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client

from tests.wallet.recovery.support import ask, buyer_client, deliver
from zhifu.accounts.models import Platform
from zhifu.kernel import clock

pytestmark = pytest.mark.django_db


def sent_to(address: str) -> int:
    return sum(address in m.to for m in mail.outbox)


def test_the_sixth_request_for_an_address_sends_nothing(platform: Platform) -> None:
    buyer_client(platform, "anna@example.com")
    anonymous = Client()
    answers = {ask(anonymous, "anna@example.com", f"192.0.2.{i}")["Location"] for i in range(6)}
    assert answers == {"/recovery/sent/"}
    deliver()
    assert sent_to("anna@example.com") == 5
    with time_machine.travel(clock.now() + dt.timedelta(hours=1, minutes=1), tick=False):
        ask(anonymous, "anna@example.com", "192.0.2.99")
        deliver()
    assert sent_to("anna@example.com") == 6  # the hour has passed


def test_the_sixth_request_from_a_client_address_sends_nothing(platform: Platform) -> None:
    for n in range(6):
        buyer_client(platform, f"b{n}@example.com")
    anonymous = Client()
    for n in range(6):
        ask(anonymous, f"b{n}@example.com", "192.0.2.50")
    deliver()
    assert [sent_to(f"b{n}@example.com") for n in range(6)] == [1, 1, 1, 1, 1, 0]
    ask(anonymous, "b5@example.com", "192.0.2.51")  # another client address: not limited
    deliver()
    assert sent_to("b5@example.com") == 1


def test_a_strangers_requests_do_not_lock_the_owner_out(platform: Platform) -> None:
    _, owner = buyer_client(platform, "anna@example.com")
    attacker = Client()
    for _ in range(10):
        ask(attacker, "anna@example.com", "192.0.2.66")
    deliver()
    assert sent_to("anna@example.com") == 5
    mail.outbox.clear()
    ask(owner, "anna@example.com", "192.0.2.66")  # signed in, even behind the same address
    deliver()
    assert sent_to("anna@example.com") == 1


def test_the_owner_too_is_limited_in_their_own_session(platform: Platform) -> None:
    _, owner = buyer_client(platform, "anna@example.com")
    for _ in range(6):
        ask(owner, "anna@example.com")
    deliver()
    assert sent_to("anna@example.com") == 5
