"""The shop's rules, free of Django: carts, order totals and order statuses."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from zhifu.kernel.money import Money

MAX_QUANTITY = 99
PAYMENT_DESCRIPTION_MAX = 1000  # the wallet's limit on a payment's description


class CartError(ValueError):
    """A cart operation a buyer cannot do (an empty cart, a bad quantity)."""


class OrderStatus(StrEnum):
    AWAITING_PAYMENT = "awaiting_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# Where an order may go next. The buyer may cancel it until it ships: an unpaid order's
# payment is cancelled at the wallet first, a paid one is refunded (checkout.cancel_order).
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return new in TRANSITIONS[current]


def can_cancel(status: OrderStatus) -> bool:
    """Whether the buyer may still cancel an order in this status."""
    return can_transition(status, OrderStatus.CANCELLED)


class RefundStatus(StrEnum):
    """A refund's status at the wallet; pending until the card network answers."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


def refund_status_after(current: RefundStatus | None, reported: RefundStatus) -> RefundStatus:
    """A refund's status once the wallet reports ``reported`` (by a webhook or an API
    answer): a final status never changes, so a replayed or late `refund.pending` after
    `refund.succeeded` leaves it succeeded."""
    if current is None or current is RefundStatus.PENDING:
        return reported
    return current


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


# --- anti-automation (docs/security.md, SEC-16, SEC-17) ------------------------------------


@dataclass(frozen=True)
class Limit:
    """At most ``count`` events in any ``window``."""

    count: int
    window: timedelta

    def allows(self, recent: int) -> bool:
        return recent < self.count


# Password-reset e-mails: per account (the address typed) and per client address. Past the
# limit the page is unchanged and no e-mail goes out.
RESET_PER_ACCOUNT = Limit(5, timedelta(hours=1))
RESET_PER_ADDRESS = Limit(5, timedelta(hours=1))
# Sign-ups from one client address: free up to the first number, then each needs the
# challenge, and past the second the address is refused for the rest of the window.
SIGNUP_FREE_PER_ADDRESS = Limit(3, timedelta(hours=1))
SIGNUP_PER_ADDRESS = Limit(10, timedelta(hours=1))
# Failed logins for one account from anywhere (within the axes cool-off) after which every
# login to it needs the challenge too: a speed bump, never a lock. Twice axes' limit per
# (e-mail, address), so it takes guesses from more than one address.
LOGIN_CHALLENGE_AFTER = 10
# The sign-up link in the "finish creating your account" e-mail.
SIGNUP_LINK_LIFETIME = timedelta(hours=24)
CHALLENGE_LIFETIME = timedelta(minutes=15)
# How long rate events are kept: the longest window above.
EVENTS_KEPT = timedelta(hours=1)


class Gate(StrEnum):
    OPEN = "open"
    CHALLENGE = "challenge"
    CLOSED = "closed"


def signup_gate(recent: int) -> Gate:
    """What a sign-up from an address that made ``recent`` sign-ups in the window meets."""
    if not SIGNUP_PER_ADDRESS.allows(recent):
        return Gate.CLOSED
    if not SIGNUP_FREE_PER_ADDRESS.allows(recent):
        return Gate.CHALLENGE
    return Gate.OPEN


def draw_sum() -> tuple[int, int]:
    """The challenge's question: two numbers from 1 to 10 whose sum is the answer."""
    return 1 + secrets.randbelow(10), 1 + secrets.randbelow(10)
