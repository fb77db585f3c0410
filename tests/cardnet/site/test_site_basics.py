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
