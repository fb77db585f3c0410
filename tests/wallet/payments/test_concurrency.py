"""Payments under concurrent requests on a real PostgreSQL (SQLite's single writer would hide
every race): each thread has its own connection and commits for real."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from tests.wallet.accounts.support import registered_buyer
from tests.wallet.ledger import test_concurrency
from tests.wallet.payments.support import (
    create,
    entries,
    holds,
    make_platform,
    pay_proof,
    pay_saved,
    payable,
    save_card,
)
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.ledger import services as ledger
from zhifu.payments import services
from zhifu.payments.domain import PaymentStatus

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, databases=["default", "vault"]),
]


class LockedNetwork(FakeCardNetwork):
    """The fake, one call at a time (a real network serializes one key's requests)."""

    _lock = threading.Lock()

    def _run(self, *args: Any) -> Any:
        with self._lock:
            return super()._run(*args)


def race(count: int, attempt: Callable[[int], object]) -> Counter[str]:
    """The ledger tests' race; each thread also closes its vault connection."""

    def run(n: int) -> object:
        try:
            return attempt(n)
        finally:
            connections["vault"].close()

    return test_concurrency.race(count, run)


@pytest.fixture
def net(settings: Any) -> LockedNetwork:
    settings.ZHIFU_CARD_NETWORK = network = LockedNetwork()
    return network


def test_two_captures_of_one_payment_at_once_capture_once(net: LockedNetwork) -> None:
    shop = make_platform()
    buyer = registered_buyer("race@example.com")
    card = save_card(buyer, net)
    payment = create(shop, 1000, manual=True)
    pay_saved(buyer, payment, card)

    outcomes = race(2, lambda n: services.capture_payment(shop, payment.id))

    # The second either waits and finds it captured (409) or re-sends the same key.
    assert set(outcomes) <= {"ok", "payment_unexpected_state"}
    assert outcomes["ok"] >= 1
    assert services.get_payment(shop, payment.id).status is PaymentStatus.SUCCEEDED
    assert entries("payment_capture") == 1
    [auth] = net._authorizations.values()
    assert auth.captured == 1000
    assert payable() == 1000
    assert holds() == 0
    assert ledger.check() == []


def test_two_full_refunds_at_once_refund_once(net: LockedNetwork) -> None:
    shop = make_platform()
    buyer = registered_buyer("race@example.com")
    card = save_card(buyer, net)
    payment = create(shop, 1000)
    pay_saved(buyer, payment, card)

    outcomes = race(2, lambda n: services.create_refund(shop, payment_id=payment.id))

    assert outcomes == Counter({"ok": 1, "refund_exceeds_captured": 1})
    assert services.get_payment(shop, payment.id).amount_refunded == 1000
    assert payable() == 0
    assert ledger.check() == []


def test_a_double_click_on_pay_authorizes_once(net: LockedNetwork) -> None:
    shop = make_platform()
    buyer = registered_buyer("race@example.com")
    card = save_card(buyer, net)
    payment = create(shop, 1000)
    services.cashier(buyer, payment.id)
    proofs = [pay_proof(buyer, payment.id) for _ in range(2)]

    outcomes = race(
        2,
        lambda n: services.pay_with_saved_card(
            buyer, payment.id, card_id=card.id, step_up=proofs[n]
        ),
    )

    assert outcomes == Counter({"ok": 1, "payment_not_open": 1})
    assert entries("payment_hold") == 1
    assert len(net._authorizations) == 1
    assert ledger.check() == []
