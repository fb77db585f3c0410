"""SEC-03 for payments: a crash at each point of each flow (the ledger's postings, the outbox
write), then the retry or reconcile; the books and the payment always end consistent, each
movement recorded once."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from tests.wallet.payments.support import DB, create, holds, pay_saved, payable, save_card
from zhifu.accounts.models import Platform, User
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.ledger import services as ledger
from zhifu.payments import services
from zhifu.payments.domain import Payment, PaymentStatus
from zhifu.payments.models import AttemptState, PaymentAttempt

pytestmark = DB
S = PaymentStatus


class Crash(Exception):
    pass


def arm(monkeypatch: pytest.MonkeyPatch, target: str, nth: int) -> None:
    """Make the ``nth`` call of ``target`` (a ledger helper, or the outbox's enqueue as
    payments calls it) raise, as if the process died there before its transaction commit."""
    owner: Any = services if target == "enqueue" else ledger
    real = getattr(owner, target)
    calls = {"n": 0}

    def maybe_crash(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == nth:
            raise Crash(f"{target} #{nth}")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, target, maybe_crash)


def recover(shop: Platform) -> None:
    for _ in range(3):
        services.reconcile(older_than=dt.timedelta(0))


def _pay(shop: Platform, buyer: User, p: Payment, card: Any) -> Any:
    return pay_saved(buyer, p, card)


def _capture(shop: Platform, buyer: User, p: Payment, card: Any) -> Any:
    return services.capture_payment(shop, p.id, amount=600)


def _cancel(shop: Platform, buyer: User, p: Payment, card: Any) -> Any:
    return services.cancel_payment(shop, p.id)


def _refund(shop: Platform, buyer: User, p: Payment, card: Any) -> Any:
    return services.create_refund(shop, payment_id=p.id, amount=250)


# name: (manual capture, paid before the step, the step, where it may end)
FLOWS: dict[str, tuple[bool, bool, Callable[..., Any], set[PaymentStatus]]] = {
    "pay": (False, False, _pay, {S.SUCCEEDED, S.REQUIRES_PAYMENT_METHOD}),
    "capture": (True, True, _capture, {S.SUCCEEDED, S.REQUIRES_CAPTURE}),
    "cancel": (True, True, _cancel, {S.CANCELED, S.REQUIRES_CAPTURE}),
    "refund": (False, True, _refund, {S.SUCCEEDED}),
}
POINTS = ["hold_payment", "capture_hold", "release_hold", "refund_capture", "enqueue"]


@pytest.mark.parametrize("nth", [1, 2])
@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("flow", list(FLOWS))
def test_a_crash_anywhere_is_completed_once(
    flow: str,
    point: str,
    nth: int,
    shop: Platform,
    buyer: User,
    network: FakeCardNetwork,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manual, paid_first, step, ends = FLOWS[flow]
    card = save_card(buyer, network)
    payment = create(shop, 1000, manual=manual)
    if paid_first:
        pay_saved(buyer, payment, card)
    else:
        services.cashier(buyer, payment.id)
    arm(monkeypatch, point, nth)
    with contextlib.suppress(Crash):
        step(shop, buyer, payment, card)
    monkeypatch.undo()
    if flow in {"capture", "cancel"}:  # the shop retries what it got no answer for
        current = services.get_payment(shop, payment.id)
        if current.status in {S.PROCESSING, S.REQUIRES_CAPTURE}:
            step(shop, buyer, payment, card)
    recover(shop)

    after = services.get_payment(shop, payment.id)
    assert after.status in ends
    assert not PaymentAttempt.objects.filter(state=AttemptState.OPEN).exists()
    assert ledger.check() == []
    refunded = sum(
        r.amount.minor
        for r in services.list_refunds(shop, payment_id=payment.id).items
        if r.status.value == "succeeded"
    )
    assert holds() == after.amount_capturable
    assert payable() == after.amount_received - refunded
    books = list(network._authorizations.values())
    # The network captured and refunded once, whatever was retried.
    assert sum(a.captured for a in books) == after.amount_received
    assert sum(a.refunded for a in books) == refunded
