"""The wallet's way around (issue 14, P7, P23): its menu, "Back to the shop" of the session,
the account page's cards and recent payments."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.wallet.accounts.support import new_buyer, registered_buyer, sign_in
from tests.wallet.stepup import adding
from tests.wallet.vault.support import MASTERCARD, VISA, card_input
from zhifu.accounts.models import Platform
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.vault import services as vault

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


def menu(html: str) -> str:
    match = re.search(r'<nav class="container wallet-nav".*?</nav>', html, re.S)
    return match.group(0) if match else ""


def current(html: str) -> list[str]:
    return re.findall(r'<a href="[^"]*" aria-current="page">([^<]+)</a>', menu(html))


def test_every_wallet_page_has_the_menu_with_the_current_page_marked(
    client: Client, platform: Platform
) -> None:
    sign_in(client, registered_buyer(), platform)
    pages = {
        "/account/": "My wallet",
        "/cards/": "Bank cards",
        "/cards/add/": "Bank cards",
        "/pay/history/": "Payments",
        "/account/payment-password/": "Security",
        "/recovery/log/": "Security",
    }
    for path, marked in pages.items():
        html = client.get(path).content.decode()
        nav = menu(html)
        for link in ('href="/account/"', 'href="/cards/"', 'href="/pay/history/"',
                     'href="/account/#security"'):  # fmt: skip
            assert link in nav, (path, link)
        assert current(html) == [marked], path


def test_back_to_the_shop_of_the_session_and_the_header_links_it(
    client: Client, platform: Platform
) -> None:
    bazaar = Platform.objects.create(
        slug="bazaar", name="Bazaar", issuer="https://bazaar.example/o", client_id="w"
    )
    sign_in(client, registered_buyer(), bazaar)
    html = client.get("/account/").content.decode()
    assert '<a href="https://bazaar.example/" class="back-to-shop">← Back to Bazaar</a>' in html
    assert 'via <a href="https://bazaar.example/">Bazaar</a>' in html
    assert "shop.test" not in menu(html)


def test_the_menu_in_russian(client: Client, platform: Platform) -> None:
    sign_in(client, registered_buyer(), platform)
    html = client.get("/account/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    nav = menu(html)
    for word in (
        "Мой счёт",
        "Банковские карты",
        "Платежи",
        "Безопасность",
        "Вернуться в Test shop",
    ):
        assert word in nav
    assert "<h1>Мой счёт</h1>" in html


def test_no_menu_before_the_wallet_exists_nor_signed_out(
    client: Client, platform: Platform
) -> None:
    assert menu(client.get("/").content.decode()) == ""
    sign_in(client, new_buyer(), platform)  # e-mail not confirmed: the gate
    assert menu(client.get("/confirm-email/").content.decode()) == ""


def test_the_account_page_is_my_wallet_not_the_shops_my_account(
    client: Client, platform: Platform
) -> None:
    sign_in(client, registered_buyer(), platform)
    html = client.get("/account/").content.decode()
    assert "<h1>My wallet</h1>" in html
    assert "My account" not in html


def test_the_account_page_loads_the_cards_box_and_shows_recent_payments(
    client: Client, platform: Platform
) -> None:
    sign_in(client, registered_buyer(), platform)
    html = client.get("/account/").content.decode()
    assert 'hx-get="/cards/summary/"' in html
    assert "Recent payments" in html
    assert "No payments yet." in html


def test_the_cards_box_counts_the_cards_and_names_the_default(
    client: Client, platform: Platform
) -> None:
    network = FakeCardNetwork()
    buyer = registered_buyer()
    sign_in(client, buyer, platform)
    assert "No cards yet." in client.get("/cards/summary/").content.decode()
    vault.add_card(buyer, card_input(VISA), network=network, step_up=adding(buyer))
    vault.add_card(buyer, card_input(MASTERCARD), network=network, step_up=adding(buyer))
    html = client.get("/cards/summary/").content.decode()
    assert "2 saved cards" in html
    assert 'Default: <span class="pan">Visa 4242 •••• •••• 4242</span>' in html
    ru = client.get("/cards/summary/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "2 сохранённые карты" in ru
    assert "Основная:" in ru


def test_the_cards_box_is_only_the_buyers_own(client: Client, platform: Platform) -> None:
    other = registered_buyer("boris@example.com")
    vault.add_card(other, card_input(VISA), network=FakeCardNetwork(), step_up=adding(other))
    sign_in(client, registered_buyer(), platform)
    html = client.get("/cards/summary/").content.decode()
    assert "No cards yet." in html
    assert "4242" not in html


def test_signed_out_the_cards_pages_say_why_as_the_account_page_does(client: Client) -> None:
    response = client.get("/cards/", follow=True, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Чтобы продолжить, войдите." in response.content.decode()
    assert client.get("/cards/summary/")["Location"].startswith("/?next=/cards/summary/")
