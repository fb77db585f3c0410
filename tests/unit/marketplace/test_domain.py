"""The shop's order rules, stated once in the domain."""

from __future__ import annotations

import pytest

from zhifu.marketplace.domain import (
    OrderStatus,
    RefundStatus,
    can_cancel,
    can_transition,
    refund_status_after,
)


@pytest.mark.parametrize("status", list(OrderStatus))
def test_an_order_can_be_cancelled_exactly_when_the_transition_allows_it(
    status: OrderStatus,
) -> None:
    assert can_cancel(status) is can_transition(status, OrderStatus.CANCELLED)


def test_an_order_can_be_cancelled_until_it_ships() -> None:
    assert [s for s in OrderStatus if can_cancel(s)] == [
        OrderStatus.AWAITING_PAYMENT,
        OrderStatus.PAID,
    ]


@pytest.mark.parametrize(
    ("current", "reported", "after"),
    [
        (None, RefundStatus.PENDING, RefundStatus.PENDING),
        (None, RefundStatus.SUCCEEDED, RefundStatus.SUCCEEDED),
        (RefundStatus.PENDING, RefundStatus.FAILED, RefundStatus.FAILED),
        (RefundStatus.PENDING, RefundStatus.SUCCEEDED, RefundStatus.SUCCEEDED),
        (RefundStatus.SUCCEEDED, RefundStatus.PENDING, RefundStatus.SUCCEEDED),
        (RefundStatus.FAILED, RefundStatus.PENDING, RefundStatus.FAILED),
        (RefundStatus.SUCCEEDED, RefundStatus.FAILED, RefundStatus.SUCCEEDED),
    ],
)
def test_a_refunds_final_status_never_changes(
    current: RefundStatus | None, reported: RefundStatus, after: RefundStatus
) -> None:
    assert refund_status_after(current, reported) is after
