"""Helpers of the cashier's page tests: a shop's payment, buyers' shop accounts and cards.

The fixtures (``platform``, ``provider``, ``network``) come from tests/wallet/payments/conftest.py.
"""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from tests.wallet.stepup import adding
from tests.wallet.vault.support import card_input
from zhifu.accounts.models import Identity, Platform, User
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.payments import services
from zhifu.payments.domain import CaptureMethod, Payment
from zhifu.vault import services as vault

RETURN_URL = "https://shop.test/orders/42/"
NEW_CARD = {
    "method": "new_card",
    "number": "4242 4242 4242 4242",
    "expiry": "12/30",
    "holder_name": "ANNA IVANOVA",
    "cvc": "739",
}


def new_payment(
    platform: Platform,
    amount: Money | None = None,
    buyer_reference: str | None = None,
    order: str = "order-42",
) -> Payment:
    return services.create_payment(
        platform,
        amount=amount or Money(178000, "RUB"),
        order_reference=order,
        description="Tea and a teapot",
        buyer_reference=buyer_reference,
        return_url=RETURN_URL,
        capture_method=CaptureMethod.AUTOMATIC,
        metadata={},
    )


def link(user: User, platform: Platform, subject: str) -> None:
    """The buyer's account at the shop (what the SSO leaves)."""
    Identity.objects.create(platform=platform, subject=subject, user=user, created_at=clock.now())


def save_card(user: User, number: str = "4242424242424242", label: str = "") -> vault.Card:
    card = vault.add_card(user, card_input(number, label=label), step_up=adding(user))
    assert isinstance(card, vault.Card)
    return card


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<small class="field-error" id="id_{field}_error"[^>]*>(.*?)</small>', html)
    return match.group(1) if match else ""


def main(client: Client, url: str, **kwargs: Any) -> str:
    return str(client.get(url, **kwargs).content.decode())
