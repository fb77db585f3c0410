from __future__ import annotations

import pytest
from django.test import Client

from zhifu.marketplace import seed
from zhifu.marketplace.models import Buyer

PASSWORD = "quiet-harbour-teal-19"


@pytest.fixture
def buyer(db: None) -> Buyer:
    return Buyer.objects.create_user("olga@example.org", PASSWORD, name="Olga Petrova", locale="ru")


@pytest.fixture
def catalogue(db: None) -> None:
    seed.seed_catalogue()


@pytest.fixture
def wallet_client(db: None) -> None:
    seed.register_wallet_client()


@pytest.fixture
def signed_in(client: Client, buyer: Buyer) -> Client:
    client.force_login(buyer, backend="django.contrib.auth.backends.ModelBackend")
    return client
