"""Helpers for payments' wallet tests: a shop, buyers, saved cards, the fake network."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Q

from tests.wallet.accounts.support import new_buyer, registered_buyer
from tests.wallet.stepup import adding, proof_for
from tests.wallet.vault.support import VISA, card_input
from zhifu.accounts.models import Identity, Platform, User
from zhifu.connectors.base import Flow, OutcomeUnknown
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.credentials.domain import StepUp
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import services as ledger
from zhifu.outbox.models import OutboxMessage
from zhifu.payments import services
from zhifu.payments.domain import CaptureMethod, Payment
from zhifu.vault import services as vault

DB = pytest.mark.django_db(databases=["default", "vault"])
RETURN_URL = "https://shop.example/orders/42/done"


@pytest.fixture
def network(settings: Any) -> FakeCardNetwork:
    fake = FakeCardNetwork()
    settings.ZHIFU_CARD_NETWORK = fake
    return fake


def make_platform(slug: str = "shop", *, balance: bool = False) -> Platform:
    return Platform.objects.create(
        slug=slug,
        name=f"Shop {slug}",
        issuer=f"https://{slug}.example/o",
        client_id="zhifu",
        balance_enabled=balance,
    )


@pytest.fixture
def shop(db: Any) -> Platform:
    return make_platform()


@pytest.fixture
def buyer(db: Any) -> User:
    return registered_buyer("anna@example.com")


@pytest.fixture
def light_buyer(db: Any) -> User:
    return new_buyer()


def identity(user: User, platform: Platform, subject: str) -> Identity:
    return Identity.objects.create(platform=platform, subject=subject, user=user)


def create(
    platform: Platform,
    amount: int | Money = 1500,
    currency: str = "USD",
    *,
    manual: bool = False,
    **extra: Any,
) -> Payment:
    values: dict[str, Any] = {
        "amount": amount if isinstance(amount, Money) else Money(amount, currency),
        "order_reference": "order-42",
        "description": "Two books",
        "return_url": RETURN_URL,
        "capture_method": CaptureMethod.MANUAL if manual else CaptureMethod.AUTOMATIC,
        "metadata": {"cart": "7"},
    }
    values.update(extra)
    return services.create_payment(platform, **values)


def save_card(user: User, network: FakeCardNetwork, number: str = VISA) -> vault.Card:
    card = vault.add_card(user, card_input(number), step_up=adding(user), network=network)
    assert isinstance(card, vault.Card)
    return card


def pay_proof(user: User, payment_id: str) -> StepUp:
    return proof_for(user, services.pay_action(payment_id))


def pay_saved(user: User, payment: Payment, card: vault.Card) -> services.Outcome:
    services.cashier(user, payment.id)
    return services.pay_with_saved_card(
        user, payment.id, card_id=card.id, step_up=pay_proof(user, payment.id)
    )


def events(*topics: str) -> list[dict[str, Any]]:
    """Payments' outbox events (the vault's e-mails are left out), oldest first."""
    rows = OutboxMessage.objects.filter(
        Q(topic__startswith="payment.") | Q(topic__startswith="refund.")
    ).order_by("id")
    if topics:
        rows = rows.filter(topic__in=topics)
    return [row.payload for row in rows]


def event_types(payment_id: str) -> list[str]:
    return [e["type"] for e in events() if e["data"].get("id") == payment_id]


class LosingNetwork(FakeCardNetwork):
    """Acts like the fake, then loses the answer of the flows in ``lose`` (a read timeout
    after the network acted): the caller sees OutcomeUnknown, the network's status knows."""

    def __init__(self) -> None:
        super().__init__()
        self.lose: set[Flow] = set()

    def _lost(self, flow: Flow, result: Any) -> Any:
        if flow in self.lose:
            raise OutcomeUnknown("read timeout (test)")
        return result

    def authorize(self, request: Any) -> Any:
        return self._lost(Flow.AUTHORIZE, super().authorize(request))

    def capture(self, request: Any) -> Any:
        return self._lost(Flow.CAPTURE, super().capture(request))

    def void(self, request: Any) -> Any:
        return self._lost(Flow.VOID, super().void(request))

    def refund(self, request: Any) -> Any:
        return self._lost(Flow.REFUND, super().refund(request))


@pytest.fixture
def losing(settings: Any) -> LosingNetwork:
    fake = LosingNetwork()
    settings.ZHIFU_CARD_NETWORK = fake
    return fake


def holds(currency: str = "USD") -> int:
    return ledger.balance(ledger_domain.card_holds(currency)).minor


def payable(slug: str = "shop", currency: str = "USD") -> int:
    return ledger.balance(ledger_domain.merchant(f"merchant:{slug}", currency)).minor


def entries(kind: str) -> int:
    from zhifu.ledger.models import Entry

    return Entry.objects.filter(kind=kind).count()
