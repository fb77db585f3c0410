"""Every use case against a payment in every status: allowed where the machine says, refused
with its typed error everywhere else, and nothing changed by a refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import time_machine

from tests.wallet.payments.support import DB, create, pay_proof, pay_saved, save_card
from tests.wallet.vault.support import MASTERCARD
from zhifu.accounts.models import Platform, User
from zhifu.connectors.base import (
    AuthorizeResult,
    DeclineCode,
    Flow,
    NetworkStatus,
    OutcomeUnknown,
    Refused,
)
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel.money import Money
from zhifu.ledger import services as ledger
from zhifu.payments import domain, errors, services
from zhifu.payments.domain import Payment, PaymentStatus

pytestmark = DB
S = PaymentStatus


def _reach(status: PaymentStatus, shop: Platform, buyer: User, network: FakeCardNetwork) -> Payment:
    """A payment brought to ``status`` through the use cases."""
    card = save_card(buyer, network, MASTERCARD)
    manual = status is S.REQUIRES_CAPTURE
    payment = create(shop, 1500, manual=manual)
    if status is S.REQUIRES_PAYMENT_METHOD:
        return payment
    if status is S.CANCELED:
        return services.cancel_payment(shop, payment.id)
    if status is S.EXPIRED:
        with time_machine.travel(payment.expires_at + dt.timedelta(seconds=1), tick=False):
            services.expire_due()
        return services.get_payment(shop, payment.id)
    if status is S.PROCESSING:
        network.program(Flow.AUTHORIZE, MASTERCARD, OutcomeUnknown("lost"))
    elif status is S.REQUIRES_ACTION:
        network.program(
            Flow.AUTHORIZE,
            MASTERCARD,
            AuthorizeResult(NetworkStatus.CHALLENGE, "fakeauth_ch", Money(1500, "USD")),
        )
    elif status is S.FAILED:
        network.program(Flow.AUTHORIZE, MASTERCARD, Refused(DeclineCode.DO_NOT_HONOUR))
        for _ in range(domain.MAX_DECLINES):
            with pytest.raises(errors.PaymentDeclined):
                pay_saved(buyer, payment, card)
        return services.get_payment(shop, payment.id)
    pay_saved(buyer, payment, card)
    reached = services.get_payment(shop, payment.id)
    assert reached.status is status
    return reached


Operation = Callable[[Platform, User, Payment], Any]


def _capture(shop: Platform, buyer: User, p: Payment) -> Any:
    return services.capture_payment(shop, p.id)


def _cancel(shop: Platform, buyer: User, p: Payment) -> Any:
    return services.cancel_payment(shop, p.id)


def _refund(shop: Platform, buyer: User, p: Payment) -> Any:
    return services.create_refund(shop, payment_id=p.id, amount=100)


def _pay(shop: Platform, buyer: User, p: Payment) -> Any:
    from django.conf import settings

    settings.ZHIFU_CARD_NETWORK = FakeCardNetwork()  # approves, whatever came before
    [card] = services.cashier(buyer, p.id).cards
    return services.pay_with_saved_card(
        buyer, p.id, card_id=card.id, step_up=pay_proof(buyer, p.id)
    )


OPERATIONS: dict[str, tuple[Operation, frozenset[PaymentStatus], type[Exception]]] = {
    "capture": (_capture, frozenset({S.REQUIRES_CAPTURE}), errors.PaymentStateInvalid),
    "cancel": (_cancel, domain.CANCELABLE, errors.PaymentStateInvalid),
    "refund": (_refund, frozenset({S.SUCCEEDED}), errors.PaymentStateInvalid),
    "pay": (_pay, domain.OPEN, errors.PaymentNotOpen),
}


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("status", list(S))
def test_each_use_case_in_each_status(
    status: PaymentStatus,
    operation: str,
    shop: Platform,
    buyer: User,
    network: FakeCardNetwork,
    settings: Any,
) -> None:
    payment = _reach(status, shop, buyer, network)
    run, allowed, refusal = OPERATIONS[operation]
    if status in allowed:
        run(shop, buyer, payment)
        assert services.get_payment(shop, payment.id) != payment
    else:
        with pytest.raises(refusal) as caught:
            run(shop, buyer, payment)
        assert caught.value.http_status == 409
        assert services.get_payment(shop, payment.id) == payment  # nothing changed
    assert ledger.check() == []
