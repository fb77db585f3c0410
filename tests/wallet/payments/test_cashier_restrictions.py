"""The cashier under the wallet's restrictions (zhifu.security): a frozen wallet's payment is
refused on the page with its reason, and a recovery's cool-off links the e-mail confirmation;
neither pays nor answers with an error page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.wallet.accounts.support import registered_buyer, sign_in
from tests.wallet.payments.cashier_support import main, new_payment, save_card
from tests.wallet.payments.test_cashier import pay_saved
from zhifu.accounts.models import Platform
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel.money import Money
from zhifu.payments import services
from zhifu.payments.domain import PaymentStatus
from zhifu.security import services as security

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


@pytest.fixture
def buyer(client: Client, platform: Platform, network: FakeCardNetwork) -> Any:
    user = registered_buyer("anna@example.com")
    save_card(user, "4242424242424242")
    sign_in(client, user, platform)
    return user


def test_a_frozen_wallet_is_refused_on_the_page_and_nothing_is_paid(
    client: Client, buyer: Any, platform: Platform
) -> None:
    payment = new_payment(platform)
    main(client, f"/pay/{payment.id}/")  # the card's id is read before the freeze
    security.freeze(buyer)
    resp = pay_saved(client, payment.id)
    assert resp.status_code == 423
    assert "Your wallet is frozen" in resp.content.decode()
    assert services.receipt(buyer, payment.id).status is PaymentStatus.REQUIRES_PAYMENT_METHOD


def test_in_the_cool_off_a_large_payment_links_the_e_mail_confirmation(
    client: Client, buyer: Any, platform: Platform
) -> None:
    security.start_cool_off(buyer)
    payment = new_payment(platform, Money(600000, "RUB"))  # above the limit, RUB 5,000
    resp = pay_saved(client, payment.id)
    html = resp.content.decode()
    assert resp.status_code == 403
    assert "confirm this by e-mail first" in html
    assert 'href="/recovery/confirm/"' in html
    assert services.receipt(buyer, payment.id).status is PaymentStatus.REQUIRES_PAYMENT_METHOD
