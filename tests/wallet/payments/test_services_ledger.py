"""The ledger stays whole through any mix of payments: `zhifu ledger check` finds nothing,
every hold is captured or released, and the merchant holds what was captured less refunds."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness.profiles import examples
from tests.wallet.accounts.support import registered_buyer
from tests.wallet.payments.support import (
    DB,
    create,
    holds,
    make_platform,
    pay_proof,
    payable,
    save_card,
)
from tests.wallet.vault.support import MASTERCARD, card_input
from zhifu.accounts import services as accounts
from zhifu.connectors.base import DeclineCode, Flow, Refused
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel import clock
from zhifu.kernel.errors import Refusal
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import services as ledger
from zhifu.payments import domain, services
from zhifu.payments.domain import PaymentStatus

pytestmark = DB
S = PaymentStatus

SCENARIOS = (
    "card_automatic", "card_manual_partial", "card_cancel", "card_declined", "new_card",
    "balance_automatic", "balance_manual_cancel", "refund_part", "refund_all", "expire_hold",
    "unpaid_expires",
)  # fmt: skip


def _play(name: str, shop: Any, buyer: Any, card: Any, amount: int) -> int:
    """Run one scenario; return what the merchant keeps of it."""
    payment = create(
        shop, amount, manual=name in {"card_manual_partial", "card_cancel", "expire_hold",
                                      "balance_manual_cancel"}
    )  # fmt: skip
    services.cashier(buyer, payment.id)
    if name == "unpaid_expires":
        with time_machine.travel(payment.expires_at, tick=False):
            services.expire_due()
        return 0
    if name.startswith("balance"):
        services.pay_with_balance(buyer, payment.id, step_up=pay_proof(buyer, payment.id))
    elif name == "card_declined":
        try:
            services.pay_with_new_card(
                buyer, payment.id, card=card_input(MASTERCARD), save=False, client_ip=""
            )
        except Refusal:
            return 0
        raise AssertionError("the programmed decline did not come")
    elif name == "new_card":
        services.pay_with_new_card(
            buyer, payment.id, card=card_input("4000056655665556"), save=False, client_ip=""
        )
    else:
        services.pay_with_saved_card(
            buyer, payment.id, card_id=card.id, step_up=pay_proof(buyer, payment.id)
        )
    if name in {"card_cancel", "balance_manual_cancel"}:
        services.cancel_payment(shop, payment.id)
        return 0
    if name == "expire_hold":
        with time_machine.travel(payment.expires_at + domain.CAPTURE_WINDOW, tick=False):
            services.expire_due()
        return 0
    if name == "card_manual_partial":
        return services.capture_payment(shop, payment.id, amount=amount // 2 or 1).amount_received
    if name == "refund_part":
        services.create_refund(shop, payment_id=payment.id, amount=1)
        return amount - 1
    if name == "refund_all":
        services.create_refund(shop, payment_id=payment.id)
        return 0
    return amount


@settings(
    max_examples=examples(8),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plays=st.lists(st.tuples(st.sampled_from(SCENARIOS), st.integers(2, 10**6)), max_size=6))
def test_any_mix_of_payments_leaves_the_ledger_whole(
    plays: list[tuple[str, int]], settings: Any
) -> None:
    # Each example a day after the last: the same test cards stay within the vault's limits.
    run = next(_RUNS)
    with time_machine.travel(clock.now() + dt.timedelta(days=run), tick=False):
        _mix(plays, settings, str(run))


_RUNS = itertools.count(1)


def _mix(plays: list[tuple[str, int]], settings: Any, suffix: str) -> None:
    network = FakeCardNetwork()
    network.program(Flow.AUTHORIZE, MASTERCARD, Refused(DeclineCode.INSUFFICIENT_FUNDS))
    settings.ZHIFU_CARD_NETWORK = network
    shop = make_platform(f"mix{suffix}", balance=True)
    buyer = registered_buyer(f"mix{suffix}@example.com")
    card = save_card(buyer, network)
    owner = accounts.balance_owner(buyer)
    ledger.top_up(ledger_domain.BALANCE_ON, owner, Money(10**8, "USD"), f"mix-{suffix}")
    holds_before = holds()
    kept = 0
    start = clock.now()
    for i, (name, amount) in enumerate(plays):
        with time_machine.travel(start + dt.timedelta(seconds=i), tick=False):
            kept += _play(name, shop, buyer, card, amount)
    assert ledger.check() == []
    assert holds() == holds_before  # every hold captured or released
    assert payable(shop.slug) == kept
    statuses = {p.status for p in services.list_payments(shop, limit=100).items}
    assert statuses <= {S.SUCCEEDED, S.CANCELED, S.EXPIRED, S.REQUIRES_PAYMENT_METHOD}


@pytest.mark.parametrize("name", SCENARIOS)
def test_each_scenario_alone_leaves_the_ledger_whole(name: str, settings: Any) -> None:
    network = FakeCardNetwork()
    network.program(Flow.AUTHORIZE, MASTERCARD, Refused(DeclineCode.INSUFFICIENT_FUNDS))
    settings.ZHIFU_CARD_NETWORK = network
    shop = make_platform("solo", balance=True)
    buyer = registered_buyer("solo@example.com")
    card = save_card(buyer, network)
    ledger.top_up(
        ledger_domain.BALANCE_ON, accounts.balance_owner(buyer), Money(10**6, "USD"), "solo"
    )
    kept = _play(name, shop, buyer, card, 999)
    assert payable("solo") == kept
    assert holds() == 0
    assert ledger.check() == []
