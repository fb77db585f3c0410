# ruff: noqa: RUF001 - Russian text is what the buyer sees
"""One shop code base, several shops (issue 10 item 6): the name (per language), accent
colour and logo come from the instance's settings, never from a fork of the code."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from tests.marketplace.conftest import PASSWORD
from zhifu.config.site import config
from zhifu.marketplace import seed
from zhifu.marketplace.models import Buyer

pytestmark = pytest.mark.django_db

BAZAAR = {
    "shop_name": "Bazaar",
    "shop_name_ru": "Базар",
    "shop_accent": "#a3341b",
    "shop_logo": "marketplace/logos/bazaar.svg",
    "shop_platform_slug": "bazaar",
    "oidc_client_id": "zhifu-wallet-bazaar",
}


@pytest.fixture
def bazaar(settings: Any) -> None:
    cfg = config()
    settings.ZHIFU = dataclasses.replace(cfg, env=cfg.env.model_copy(update=BAZAAR))


def brand(html: str) -> tuple[str, str]:
    """The header's logo and name."""
    match = re.search(r'class="brand"><img src="([^"]+)"[^>]*> <strong>([^<]+)</strong>', html)
    assert match, html
    return match.group(1), match.group(2)


def test_the_first_shop_keeps_its_name_icon_and_colours(client: Client) -> None:
    html = client.get("/").content.decode()
    assert brand(html) == ("/static/zhifu/icon.svg", "zhifu shop")
    assert "<title>zhifu shop</title>" in html
    assert "<h1>Welcome to the zhifu shop</h1>" in html
    assert "theme.css" not in html
    assert client.get("/theme.css").status_code == 404
    client.cookies["zhifu_marketplace_lang"] = "ru"
    html = client.get("/").content.decode()
    assert brand(html)[1] == "Магазин zhifu"
    assert "<h1>Добро пожаловать в магазин zhifu</h1>" in html


def test_a_configured_shop_has_its_own_name_logo_and_accent(client: Client, bazaar: None) -> None:
    html = client.get("/").content.decode()
    assert brand(html) == ("/static/marketplace/logos/bazaar.svg", "Bazaar")
    assert '<link rel="icon" href="/static/marketplace/logos/bazaar.svg">' in html
    assert "<h1>Welcome to Bazaar</h1>" in html
    assert '<link rel="stylesheet" href="/theme.css?v=a3341b">' in html
    assert f'href="{config().urls["wallet"]}/?platform=bazaar"' in html
    client.cookies["zhifu_marketplace_lang"] = "ru"
    html = client.get("/").content.decode()
    assert brand(html)[1] == "Базар"
    assert "<h1>Базар приветствует вас</h1>" in html


def test_the_accent_is_a_stylesheet_the_csp_allows(client: Client, bazaar: None) -> None:
    response = client.get("/theme.css?v=a3341b")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/css; charset=utf-8"
    css = response.content.decode()
    assert "--pico-primary: #a3341b;" in css
    assert "--pico-primary-hover: color-mix(in srgb, #a3341b 82%, black);" in css
    assert "style-src 'self';" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get("/")["Content-Security-Policy"]


def test_the_shops_e_mails_carry_its_name_in_the_buyers_language(
    client: Client, bazaar: None
) -> None:
    Buyer.objects.create_user("olga@example.org", PASSWORD, locale="ru")
    client.post("/password-reset/", {"email": "olga@example.org"})
    client.post(
        "/signup/",
        {"name": "Ivan", "email": "ivan@example.org", "password": PASSWORD, "locale": "en"},
    )
    reset, signup = mail.outbox
    assert reset.subject == "Базар: сброс пароля"
    assert "\n\nБазар\n\n" in str(reset.body)  # the sign-off
    assert signup.subject == "Finish creating your Bazaar account"
    assert "\n\nBazaar\n\n" in str(signup.body)
    for message, name in ((reset, "Базар"), (signup, "Bazaar")):
        [(html, _)] = message.alternatives  # type: ignore[attr-defined]
        assert f"{name}</td>" in str(html)  # the header of the HTML part
    assert "zhifu shop" not in str(signup.body) + str(reset.body)


def test_the_seed_registers_the_wallet_under_the_instances_client_id(bazaar: None) -> None:
    from oauth2_provider.models import get_application_model

    seed.register_wallet_client()
    assert list(get_application_model().objects.values_list("client_id", flat=True)) == [
        "zhifu-wallet-bazaar"
    ]
