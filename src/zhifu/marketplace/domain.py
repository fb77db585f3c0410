"""The shop's rules, free of Django: carts, order totals and order statuses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from zhifu.kernel.money import Money

MAX_QUANTITY = 99


class CartError(ValueError):
    """A cart operation a buyer cannot do (an empty cart, a bad quantity)."""


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# Where an order may go next. Payment arrives with the wallet's checkout; until then an
# order waits for payment or is cancelled by the buyer.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return new in TRANSITIONS[current]


def can_cancel(status: OrderStatus) -> bool:
    """Whether the buyer may still cancel an order in this status."""
    return can_transition(status, OrderStatus.CANCELLED)


def clean_quantity(value: int) -> int:
    """A quantity the cart can hold: 0 (remove) to MAX_QUANTITY."""
    if type(value) is not int or value < 0 or value > MAX_QUANTITY:
        raise CartError(f"quantity must be between 0 and {MAX_QUANTITY}")
    return value


@dataclass(frozen=True)
class Line:
    product_id: int
    unit_price: Money
    quantity: int

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


def split_by_currency(lines: Iterable[Line]) -> dict[str, list[Line]]:
    """One group per currency, in the order currencies first appear.

    A payment is in one currency, so a cart with prices in two currencies becomes two
    orders; the buyer is told so before placing them.
    """
    groups: dict[str, list[Line]] = {}
    for line in lines:
        if line.quantity > 0:
            groups.setdefault(line.unit_price.currency, []).append(line)
    return groups


def total(lines: Iterable[Line], currency: str) -> Money:
    amount = Money.zero(currency)
    for line in lines:
        amount = amount + line.total
    return amount
