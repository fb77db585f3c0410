"""Payments ask zhifu.security before authorizing: a frozen wallet pays nothing, and in a
recovery's cool-off a payment above the limit needs a fresh e-mail confirmation."""

from __future__ import annotations

import pytest

from tests.wallet.payments.support import DB, create, pay_saved, save_card
from zhifu.accounts.models import Platform, User
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel.money import Money
from zhifu.payments import services
from zhifu.payments.domain import PaymentStatus
from zhifu.security import services as security
from zhifu.security.errors import FreshConfirmationNeeded, WalletFrozen

pytestmark = DB


def test_a_frozen_wallet_pays_nothing(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, 1500)
    security.freeze(buyer)
    with pytest.raises(WalletFrozen):
        pay_saved(buyer, payment, card)
    assert services.receipt(buyer, payment.id).status == PaymentStatus.REQUIRES_PAYMENT_METHOD


def test_the_cool_off_guards_large_payments_only(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    security.start_cool_off(buyer)
    small = create(shop, Money.parse("50.00", "USD"))
    assert isinstance(pay_saved(buyer, small, card), services.Paid)
    large = create(shop, Money.parse("50.01", "USD"))
    with pytest.raises(FreshConfirmationNeeded):
        pay_saved(buyer, large, card)
    security.confirm_fresh(buyer)
    assert isinstance(pay_saved(buyer, large, card), services.Paid)
    again = create(shop, Money.parse("80.00", "USD"))
    with pytest.raises(FreshConfirmationNeeded):  # one confirmation, one payment
        pay_saved(buyer, again, card)
