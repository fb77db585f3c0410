"""The cool-off after a recovery: adding a card or paying more than the limit needs a
fresh e-mail confirmation for 24 hours (configurable), spent by one action."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from tests.wallet.recovery.support import CONFIRM, buyer_client, links
from zhifu.accounts.models import Platform
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.security import services as security
from zhifu.security.errors import FreshConfirmationNeeded

pytestmark = pytest.mark.django_db


def test_a_card_or_a_large_payment_needs_a_fresh_confirmation(platform: Platform) -> None:
    user, client = buyer_client(platform)
    security.start_cool_off(user)
    security.check_payment(user, Money.parse("50.00", "EUR"))  # at the limit: fine
    with pytest.raises(FreshConfirmationNeeded):
        security.check_payment(user, Money.parse("50.01", "EUR"))
    with pytest.raises(FreshConfirmationNeeded):
        security.check_payment(user, Money(1, "JPY"))  # no limit for JPY: every amount
    with pytest.raises(FreshConfirmationNeeded):
        security.check_card_change(user, adding=True)
    security.check_card_change(user)  # deleting a card is not guarded by the cool-off

    assert client.post("/recovery/confirm/").status_code == 200
    (path,) = links(CONFIRM)
    other = Client()
    other.get(path)
    assert other.get("/recovery/confirmed/").status_code == 302  # must sign in first
    client.get(path)
    assert client.get("/recovery/confirmed/").status_code == 200
    security.check_card_change(user, adding=True)  # one action passes...
    with pytest.raises(FreshConfirmationNeeded):
        security.check_card_change(user, adding=True)  # ...once
    client.get(path)
    assert client.get("/recovery/confirmed/").status_code == 410  # the link is spent


def test_the_cool_off_ends(platform: Platform, settings: object) -> None:
    user, _ = buyer_client(platform)
    security.start_cool_off(user)
    with time_machine.travel(clock.now() + dt.timedelta(hours=24, seconds=1), tick=False):
        security.check_payment(user, Money.parse("5000.00", "EUR"))
        security.check_card_change(user, adding=True)


def test_the_vault_refuses_a_card_during_the_cool_off(platform: Platform) -> None:
    from tests.wallet.recovery.support import GOOD_PIN
    from zhifu.credentials import services as credentials
    from zhifu.vault import services as vault

    user, _ = buyer_client(platform)
    security.start_cool_off(user)
    proof = credentials.step_up(user, GOOD_PIN, vault.ADD_ACTION)
    data = vault.CardInput(number="4242424242424242", expiry="12/39", holder_name="ANNA", cvc="123")
    with pytest.raises(FreshConfirmationNeeded):
        vault.add_card(user, data, step_up=proof)


def test_the_card_page_offers_the_confirmation_and_the_recovery(platform: Platform) -> None:
    from tests.wallet.recovery.support import GOOD_PIN

    user, client = buyer_client(platform)
    security.start_cool_off(user)
    page = client.post(
        "/cards/add/",
        {
            "number": "4242424242424242",
            "expiry": "12/39",
            "holder_name": "ANNA",
            "cvc": "123",
            "payment_password": GOOD_PIN,
        },
    ).content.decode()
    assert "recovered recently" in page
    assert 'href="/recovery/confirm/"' in page
    assert 'href="/recovery/"' in page  # "Forgot your payment password?"
