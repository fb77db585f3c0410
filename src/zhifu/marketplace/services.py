"""The shop's use cases; each owns its transaction."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from zhifu.kernel import clock
from zhifu.marketplace import domain
from zhifu.marketplace.errors import EmptyCart, OrderNotCancellable, OrderNotFound
from zhifu.marketplace.models import LOCALES, Buyer, Order, OrderLine, Product

__all__ = ["LOCALES", "EmptyCart", "OrderNotCancellable", "OrderNotFound"]

ORDERS_PER_PAGE = 20


# --- reading the catalogue and the orders -------------------------------------------------


def catalogue() -> list[Product]:
    """The products on sale, in catalogue order."""
    return list(Product.objects.filter(is_active=True))


def product_on_sale(slug: str) -> Product | None:
    """The product behind ``slug``, if it is on sale."""
    return Product.objects.filter(slug=slug, is_active=True).first()


def product(slug: str) -> Product | None:
    """The product behind ``slug``, on sale or not (a cart may still hold it)."""
    return Product.objects.filter(slug=slug).first()


def orders_of(buyer: Buyer) -> QuerySet[Order]:
    """The buyer's orders, newest first (lazy: the page paginates it)."""
    return Order.objects.filter(buyer=buyer)


@dataclass(frozen=True)
class OrderView:
    """One order as its page shows it: the row, its lines with their products."""

    order: Order
    lines: list[OrderLine]

    @property
    def can_cancel(self) -> bool:
        return domain.can_cancel(domain.OrderStatus(self.order.status))

    @property
    def awaiting_payment(self) -> bool:
        return domain.OrderStatus(self.order.status) is domain.OrderStatus.AWAITING_PAYMENT


def order_of(buyer: Buyer, number: str) -> OrderView:
    """The buyer's order ``number`` with its lines; raises OrderNotFound."""
    order = Order.objects.filter(buyer=buyer, number=number).first()
    if order is None:
        raise OrderNotFound(param="number")
    return OrderView(order, list(order.lines.select_related("product", "order")))


def buyer_of(user: Any) -> Buyer:
    """The signed-in buyer of a request (``request.user`` after the login check)."""
    if not isinstance(user, Buyer):
        raise TypeError("a signed-in buyer was expected")
    return user


def register_buyer(*, email: str, password: str, name: str, locale: str) -> Buyer:
    """Create a shop account (the form has already validated the password)."""
    with transaction.atomic():
        return Buyer.objects.create_user(email, password, name=name.strip(), locale=locale)


def update_profile(buyer: Buyer, *, name: str, locale: str) -> None:
    buyer.name = name.strip()
    buyer.locale = locale
    buyer.save(update_fields=["name", "locale"])


def set_locale(buyer: Buyer, locale: str) -> None:
    if buyer.locale != locale:
        buyer.locale = locale
        buyer.save(update_fields=["locale"])


def cart_lines(cart: Mapping[int, int]) -> list[tuple[Product, domain.Line]]:
    """The cart's products still on sale, at today's prices, in catalogue order."""
    products = Product.objects.filter(pk__in=list(cart), is_active=True)
    return [
        (p, domain.Line(product_id=p.pk, unit_price=p.price, quantity=cart[p.pk]))
        for p in products
        if cart.get(p.pk, 0) > 0
    ]


def _order_number() -> str:
    # Short enough to read out on the phone, random enough never to be guessed in a row.
    return f"{clock.now():%y%m%d}-{secrets.randbelow(10**8):08d}"


def place_orders(buyer: Buyer, cart: Mapping[int, int]) -> list[Order]:
    """Turn the cart into orders awaiting payment, one per currency.

    Prices are read again from the catalogue here, never taken from the session.
    """
    lines = cart_lines(cart)
    groups = domain.split_by_currency(line for _, line in lines)
    if not groups:
        raise EmptyCart
    orders = []
    with transaction.atomic():
        for currency, group in groups.items():
            total = domain.total(group, currency)
            for _attempt in range(5):
                try:
                    with transaction.atomic():
                        order = Order.objects.create(
                            number=_order_number(),
                            buyer=buyer,
                            currency=currency,
                            total_minor=total.minor,
                        )
                    break
                except IntegrityError:  # the rare number collision: draw again
                    continue
            else:
                raise RuntimeError("could not draw a free order number")
            OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    product_id=line.product_id,
                    unit_price_minor=line.unit_price.minor,
                    quantity=line.quantity,
                )
                for line in group
            )
            orders.append(order)
    return orders


def cancel_order(buyer: Buyer, number: str) -> Order:
    """Cancel the buyer's order; raises OrderNotFound or OrderNotCancellable."""
    with transaction.atomic():
        order = Order.objects.select_for_update().filter(buyer=buyer, number=number).first()
        if order is None:
            raise OrderNotFound(param="number")
        if not domain.can_cancel(domain.OrderStatus(order.status)):
            raise OrderNotCancellable(param="number")
        order.status = Order.Status.CANCELLED
        order.updated_at = clock.now()
        order.save(update_fields=["status", "updated_at"])
    return order
