"""The cart lives in the session: {product id: quantity}. Prices are never stored in it."""

from __future__ import annotations

from django.http import HttpRequest

from zhifu.marketplace import domain

SESSION_KEY = "marketplace_cart"


def read(request: HttpRequest) -> dict[int, int]:
    raw = request.session.get(SESSION_KEY, {})
    cart: dict[int, int] = {}
    if isinstance(raw, dict):
        for key, value in raw.items():
            if str(key).isdigit() and isinstance(value, int) and 0 < value <= domain.MAX_QUANTITY:
                cart[int(key)] = value
    return cart


def write(request: HttpRequest, cart: dict[int, int]) -> None:
    request.session[SESSION_KEY] = {str(k): v for k, v in cart.items() if v > 0}


def add(request: HttpRequest, product_id: int, quantity: int) -> None:
    cart = read(request)
    cart[product_id] = min(cart.get(product_id, 0) + quantity, domain.MAX_QUANTITY)
    write(request, cart)


def set_quantity(request: HttpRequest, product_id: int, quantity: int) -> None:
    cart = read(request)
    cart[product_id] = domain.clean_quantity(quantity)
    write(request, cart)


def clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def count(request: HttpRequest) -> int:
    return sum(read(request).values())
