"""The shop's order rules, stated once in the domain."""

from __future__ import annotations

import pytest

from zhifu.marketplace.domain import OrderStatus, can_cancel, can_transition


@pytest.mark.parametrize("status", list(OrderStatus))
def test_an_order_can_be_cancelled_exactly_when_the_transition_allows_it(
    status: OrderStatus,
) -> None:
    assert can_cancel(status) is can_transition(status, OrderStatus.CANCELLED)


def test_only_an_order_awaiting_payment_can_be_cancelled() -> None:
    assert [s for s in OrderStatus if can_cancel(s)] == [OrderStatus.AWAITING_PAYMENT]
