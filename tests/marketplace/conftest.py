from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
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


def signup_link(address: str) -> str:
    """The path of the newest "finish creating your account" link sent to ``address``."""
    from django.core import mail

    for message in reversed(mail.outbox):
        match = re.search(r"https?://[^/\s]+(/signup/confirm/[\w-]+/)", str(message.body))
        if address in message.to and match:
            return match.group(1)
    raise AssertionError(f"no sign-up link sent to {address}")


def finish_sign_up(client: Client, address: str) -> HttpResponse:
    """Open the sign-up e-mail's link and press its button, as the buyer does."""
    link = signup_link(address)
    assert client.get(link).status_code == 200
    response: HttpResponse = client.post(link)
    return response
