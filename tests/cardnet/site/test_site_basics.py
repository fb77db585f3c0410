from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_cookies_are_cardnets_own() -> None:
    assert settings.SESSION_COOKIE_NAME == "zhifu_cardnet_session"


def test_the_test_card_page_has_a_way_back_and_copy_buttons(client: Client) -> None:
    from zhifu.cardnet.domain import TEST_CARDS
    from zhifu.config.site import config

    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert f'<a href="{config().urls["wallet"]}/cards/add/">← Вернуться в кошелёк zhifu</a>' in html
    for card in TEST_CARDS:
        assert f'data-copy="{card.number}"' in html
    # A file, not inline script: the CSP allows script-src 'self' only.
    assert '<script src="/static/cardnet/copy.js" defer></script>' in html
    assert "<script>" not in html
