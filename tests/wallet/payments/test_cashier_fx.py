"""The cashier's balance section offering a balance in another currency at a locked quote."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.wallet.accounts.support import GOOD_PIN, registered_buyer, sign_in
from tests.wallet.payments.cashier_support import main, new_payment
from zhifu.accounts import services as accounts
from zhifu.accounts.models import Platform, User
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.fx import domain as fx_domain
from zhifu.fx import services as fx
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import services as ledger
from zhifu.payments import services
from zhifu.payments.domain import PaymentStatus

pytestmark = pytest.mark.django_db(databases=["default", "vault"])
AMOUNT = Money(178000, "RUB")


def pay_url(payment_id: str) -> str:
    return f"/pay/{payment_id}/"


def setup(client: Client, platform: Platform, locale: str = "en") -> User:
    fx.import_rates([fx_domain.Rate("USD", "RUB", Decimal("78.31"), clock.now(), "test")])
    platform.balance_enabled = True
    platform.save()
    user = registered_buyer("anna@example.com", locale=locale)
    ledger.top_up(
        ledger_domain.BALANCE_ON, accounts.balance_owner(user), Money(10000, "USD"), "topup-1"
    )
    sign_in(client, user, platform)
    return user


def quote_on(html: str) -> str:
    found = re.search(r'name="balance-quote" value="(quo_[0-9A-Z]+)"', html)
    assert found, "no exchange offer on the page"
    return found.group(1)


def test_the_page_offers_the_usd_balance_and_pays_with_it(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    user = setup(client, platform)
    payment = new_payment(platform, amount=AMOUNT)
    html = main(client, pay_url(payment.id))
    # The customer's rate (78.31 less the 0.5 % spread = 77.91845), as it pays.
    assert "from your USD balance: $22.85 at 1 USD = 77.9184 RUB (locked for 1 minute)" in html
    assert "On your balance: $100.00" in html
    quote = quote_on(html)
    assert f'value="{quote}" id="balance-usd" checked' in html  # the only one, chosen
    resp = client.post(
        pay_url(payment.id),
        {"method": "balance", "balance-quote": quote, "balance-payment_password": GOOD_PIN},
    )
    assert resp.status_code == 302
    assert resp["Location"] == f"/pay/{payment.id}/receipt/"
    assert services.receipt(user, payment.id).status is PaymentStatus.SUCCEEDED
    owner = accounts.balance_owner(user)
    assert ledger.balance(ledger_domain.buyer(owner, "USD")) == Money(10000 - 2285, "USD")


def test_the_offer_reads_naturally_in_russian(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    setup(client, platform, locale="ru")
    payment = new_payment(platform, amount=AMOUNT)
    html = main(client, pay_url(payment.id), headers={"Accept-Language": "ru"})
    assert "баланса в USD: спишется" in html
    assert (
        "спишется 22,85\xa0$ по курсу 1 USD = 77,9184 RUB (курс зафиксирован на 1 минуту)" in html
    )


def test_refusals_re_render_the_page_with_a_fresh_offer(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    setup(client, platform)
    payment = new_payment(platform, amount=AMOUNT)
    quote = quote_on(main(client, pay_url(payment.id)))
    form = {"method": "balance", "balance-quote": quote, "balance-payment_password": GOOD_PIN}
    wrong = client.post(pay_url(payment.id), {**form, "balance-payment_password": "000001"})
    assert wrong.status_code == 403
    with time_machine.travel(clock.now() + dt.timedelta(minutes=2), tick=False):
        late = client.post(pay_url(payment.id), form)
        html = late.content.decode()
        assert late.status_code == 409
        assert "The exchange rate was locked for a limited time" in html
        fresh = quote_on(html)
        assert fresh != quote
        assert f'value="{fresh}" id="balance-usd" checked' in html
        forged = client.post(pay_url(payment.id), {**form, "balance-quote": "quo_" + "A" * 26})
        assert forged.status_code == 409
        assert "This exchange offer cannot be used for this payment." in forged.content.decode()
        assert client.post(pay_url(payment.id), {**form, "balance-quote": fresh}).status_code == 302


def test_a_balance_too_small_in_every_currency_is_not_offered(
    client: Client, platform: Platform, network: FakeCardNetwork, **_: Any
) -> None:
    setup(client, platform)
    payment = new_payment(platform, amount=Money(1780000, "RUB"))  # 17,800 RUB > $100
    html = main(client, pay_url(payment.id))
    assert "There is not enough on your balance for this payment." in html
    assert 'name="balance-quote"' not in html


def test_several_balances_are_offered_in_order_the_first_chosen(
    client: Client, platform: Platform, network: FakeCardNetwork
) -> None:
    user = setup(client, platform)
    fx.import_rates([fx_domain.Rate("EUR", "RUB", Decimal("91.2"), clock.now(), "test")])
    owner = accounts.balance_owner(user)
    ledger.top_up(ledger_domain.BALANCE_ON, owner, Money(5000, "EUR"), "topup-eur")
    ledger.top_up(ledger_domain.BALANCE_ON, owner, AMOUNT, "topup-rub")
    payment = new_payment(platform, amount=AMOUNT)
    html = main(client, pay_url(payment.id))
    own = html.index('value="" id="balance-rub" checked')
    assert own < html.index('id="balance-eur"')  # the payment's own currency first
    assert own < html.index('id="balance-usd"')
    assert html.count(" checked") == 1
    assert "Pay RUB" in html
    assert "from your RUB balance</span>" in html
