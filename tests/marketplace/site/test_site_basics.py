from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from zhifu.marketplace import seed
from zhifu.marketplace.models import Buyer

pytestmark = pytest.mark.django_db


def test_healthz(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_cookies_are_the_shops_own() -> None:
    assert settings.SESSION_COOKIE_NAME == "zhifu_marketplace_session"


@pytest.mark.production_hashing
def test_seeding_twice_creates_nothing_twice() -> None:
    first = seed.seed()
    second = seed.seed()
    assert first == second
    assert Buyer.objects.filter(email=seed.DEMO_BUYER_EMAIL).count() == 1
    buyer = Buyer.objects.get(email=seed.DEMO_BUYER_EMAIL)
    assert buyer.check_password(seed.DEMO_BUYER_PASSWORD)
    assert buyer.password.startswith("argon2$argon2id$")
