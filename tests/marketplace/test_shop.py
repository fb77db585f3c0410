"""Catalogue, cart and orders awaiting payment."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.marketplace.conftest import PASSWORD, finish_sign_up
from zhifu.marketplace import seed
from zhifu.marketplace.models import Buyer, Order, Product

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]


def test_catalogue_shows_every_product_with_its_price(client: Client) -> None:
    html = client.get("/").content.decode()
    assert Product.objects.count() >= 12
    for product in Product.objects.all():
        assert f'href="/products/{product.slug}/"' in html
        assert f"/static/marketplace/products/{product.slug}.svg" in html
    assert "$29.99" in html  # earbuds, USD
    assert "¥6,800" in html  # watch, JPY has no minor unit


def test_catalogue_has_prices_in_several_currencies(db: None) -> None:
    assert Product.objects.values("currency").distinct().count() >= 5


def test_prices_follow_the_page_language(client: Client) -> None:
    client.cookies["zhifu_marketplace_lang"] = "ru"
    html = client.get("/products/ceramic-mug/").content.decode()
    assert "Керамическая кружка" in html
    assert "890\xa0₽" in html


def test_a_russian_cart_names_its_currencies_and_amounts_as_a_russian_shop_does(
    client: Client,
) -> None:
    client.cookies["zhifu_marketplace_lang"] = "ru"
    client.post("/products/paper-lantern/add/", {"quantity": "1"})
    client.post("/products/ceramic-mug/add/", {"quantity": "1"})
    html = client.get("/cart/").content.decode()
    assert "Валюта заказа: китайский юань" in html
    assert "Валюта заказа: российский рубль" in html
    assert "CNY" not in html
    assert "49\xa0¥" in html
    assert "Оформить 2 заказа" in html
    client.post("/cart/paper-lantern/", {"quantity": "0"})
    assert "Оформить заказ<" in client.get("/cart/").content.decode()  # not «Оформить 1 заказ»


def test_the_unit_never_breaks_from_its_number(client: Client) -> None:
    client.cookies["zhifu_marketplace_lang"] = "ru"
    assert "350\xa0мл" in client.get("/products/ceramic-mug/").content.decode()


def test_seed_is_idempotent(db: None) -> None:
    seed.seed()
    seed.seed()
    assert Product.objects.count() == len(seed.CATALOGUE)
    assert Buyer.objects.filter(email=seed.DEMO_BUYER_EMAIL).count() == 1


def test_adding_to_the_cart_shows_line_and_total(client: Client) -> None:
    response = client.post("/products/wireless-earbuds/add/", {"quantity": "2"})
    assert response["Location"] == "/cart/"
    html = client.get("/cart/").content.decode()
    assert "Wireless earbuds" in html
    assert "$59.98" in html


def test_a_bad_quantity_is_refused_beside_the_field(client: Client) -> None:
    response = client.post("/products/wireless-earbuds/add/", {"quantity": "0"})
    assert response.status_code == 400
    assert 'id="id_quantity_error"' in response.content.decode()


def test_cart_quantity_can_be_changed_and_removed(client: Client) -> None:
    client.post("/products/silk-scarf/add/", {"quantity": "1"})
    client.post("/cart/silk-scarf/", {"quantity": "3"})
    assert "€104.70" in client.get("/cart/").content.decode()
    client.post("/cart/silk-scarf/", {"quantity": "0"})
    assert "Your cart is empty." in client.get("/cart/").content.decode()


def test_placing_an_order_needs_login_and_says_why(client: Client) -> None:
    client.post("/products/silk-scarf/add/", {"quantity": "1"})
    response = client.post("/checkout/")
    assert response.status_code == 302
    # Back to the cart afterwards, never to POST-only /checkout/ (a GET there is a 405).
    assert response["Location"] == "/login/?next=/cart/%3Fcheckout%3D1"
    client.cookies["zhifu_marketplace_lang"] = "ru"
    login_page = client.get(response["Location"]).content.decode()
    assert "Войдите, чтобы оформить заказ." in login_page
    assert 'href="/signup/?next=/cart/%3Fcheckout%3D1"' in login_page
    assert (
        "чтобы оформить заказ" in client.get("/signup/?next=/cart/%3Fcheckout%3D1").content.decode()
    )


def test_after_login_checkout_comes_back_to_the_cart_and_the_order_is_one_press_away(
    client: Client, buyer: Buyer
) -> None:
    client.post("/products/silk-scarf/add/", {"quantity": "1"})
    login_url = client.post("/checkout/")["Location"]
    response = client.post(
        login_url,
        {"username": buyer.email, "password": PASSWORD, "next": "/cart/?checkout=1"},
    )
    assert response["Location"] == "/cart/?checkout=1"
    cart = client.get(response["Location"])
    assert cart.status_code == 200
    html = cart.content.decode()
    assert "Вы вошли. Проверьте корзину и оформите заказ." in html  # the buyer's language
    assert "Шёлковый платок" in html  # the cart survived the log-in
    assert client.post("/checkout/").status_code == 302
    assert Order.objects.filter(buyer=buyer).count() == 1


def test_after_sign_up_checkout_comes_back_to_the_cart(client: Client) -> None:
    client.post("/products/silk-scarf/add/", {"quantity": "1"})
    login_url = client.post("/checkout/")["Location"]
    signup_url = login_url.replace("/login/", "/signup/")
    form = {
        "name": "Ivan",
        "email": "ivan@example.org",
        "locale": "en",
        "next": "/cart/?checkout=1",
    }
    client.post(signup_url, {**form, "password": PASSWORD})
    response = finish_sign_up(client, "ivan@example.org")
    assert response["Location"] == "/cart/?checkout=1"
    html = client.get(response["Location"]).content.decode()
    assert "You are logged in. Check your cart and place the order." in html
    assert "Silk scarf" in html
    client.post("/checkout/")
    assert Order.objects.filter(buyer__email="ivan@example.org").count() == 1


def test_a_signed_out_post_to_an_orders_form_comes_back_to_the_order_page(
    client: Client,
) -> None:
    response = client.post("/orders/ZS-NOPE/cancel/")
    assert response["Location"] == "/login/?next=/orders/ZS-NOPE/"


def test_the_cart_says_nothing_of_checkout_to_a_signed_out_visitor(client: Client) -> None:
    client.post("/products/silk-scarf/add/", {"quantity": "1"})
    assert "You are logged in" not in client.get("/cart/?checkout=1").content.decode()


def test_a_placed_order_is_awaiting_payment(signed_in: Client, buyer: Buyer) -> None:
    signed_in.post("/products/travel-backpack/add/", {"quantity": "1"})
    signed_in.post("/products/wireless-earbuds/add/", {"quantity": "2"})
    response = signed_in.post("/checkout/")
    order = Order.objects.get(buyer=buyer)
    assert response["Location"] == f"/orders/{order.number}/"
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert (order.total_minor, order.currency) == (4550 + 2 * 2999, "USD")
    signed_in.cookies["zhifu_marketplace_lang"] = "en"
    html = signed_in.get(f"/orders/{order.number}/").content.decode()
    assert "Awaiting payment" in html
    assert "$105.48" in html
    assert "Your cart is empty." in signed_in.get("/cart/").content.decode()
    orders = signed_in.get("/orders/").content.decode()
    assert order.number in orders
    assert "Awaiting payment" in orders


def test_a_cart_in_two_currencies_becomes_two_orders(signed_in: Client, buyer: Buyer) -> None:
    signed_in.post("/products/paper-lantern/add/", {"quantity": "1"})
    signed_in.post("/products/silk-scarf/add/", {"quantity": "1"})
    assert "each currency becomes its own order" in signed_in.get("/cart/").content.decode()
    response = signed_in.post("/checkout/")
    assert response["Location"] == "/orders/"
    assert sorted(Order.objects.filter(buyer=buyer).values_list("currency", flat=True)) == [
        "CNY",
        "EUR",
    ]


def test_an_empty_cart_cannot_be_checked_out(signed_in: Client) -> None:
    response = signed_in.post("/checkout/", follow=True)
    assert "Your cart is empty." in response.content.decode()
    assert Order.objects.count() == 0


def test_prices_are_taken_from_the_catalogue_at_checkout(signed_in: Client) -> None:
    signed_in.post("/products/dragon-kite/add/", {"quantity": "1"})
    Product.objects.filter(slug="dragon-kite").update(price_minor=27000)
    signed_in.post("/checkout/")
    assert Order.objects.get().total_minor == 27000


def test_an_order_awaiting_payment_can_be_cancelled(signed_in: Client) -> None:
    signed_in.post("/products/dragon-kite/add/", {"quantity": "1"})
    signed_in.post("/checkout/")
    order = Order.objects.get()
    signed_in.post(f"/orders/{order.number}/cancel/")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    response = signed_in.post(f"/orders/{order.number}/cancel/", follow=True)
    assert "This order can no longer be cancelled." in response.content.decode()


def test_another_buyers_order_is_not_found(signed_in: Client) -> None:
    signed_in.post("/products/dragon-kite/add/", {"quantity": "1"})
    signed_in.post("/checkout/")
    order = Order.objects.get()
    other = Client()
    stranger = Buyer.objects.create_user("s@example.org", "x-violet-moon-3")
    other.force_login(stranger, backend="django.contrib.auth.backends.ModelBackend")
    assert other.get(f"/orders/{order.number}/").status_code == 404
    assert other.post(f"/orders/{order.number}/cancel/").status_code == 404


def test_the_order_services_refuse_another_buyers_order_by_code(signed_in: Client) -> None:
    from zhifu.marketplace import services

    signed_in.post("/products/dragon-kite/add/", {"quantity": "1"})
    signed_in.post("/checkout/")
    order = Order.objects.get()
    stranger = Buyer.objects.create_user("s@example.org", "x-violet-moon-3")
    for call in (services.order_of, services.cancel_order):
        with pytest.raises(services.OrderNotFound) as refused:
            call(stranger, order.number)
        assert refused.value.code == "order_not_found"
    assert services.order_of(order.buyer, order.number).can_cancel
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_a_cancelled_order_offers_no_cancel_button(signed_in: Client) -> None:
    signed_in.post("/products/dragon-kite/add/", {"quantity": "1"})
    signed_in.post("/checkout/")
    order = Order.objects.get()
    assert "Cancel order" in signed_in.get(f"/orders/{order.number}/").content.decode()
    signed_in.post(f"/orders/{order.number}/cancel/")
    html = signed_in.get(f"/orders/{order.number}/").content.decode()
    assert "Cancel order" not in html
    assert "awaiting payment. Paying" not in html
