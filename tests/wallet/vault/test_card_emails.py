"""The card e-mails go through notifications: its templates, language rule and headers."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.wallet.stepup import adding, deleting
from tests.wallet.vault.support import Buyer, card_input
from zhifu.outbox.models import OutboxMessage
from zhifu.outbox.services import dispatch_due, event_of, registry
from zhifu.vault import services

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


def _deliver_all() -> None:
    while dispatch_due():
        pass


@pytest.mark.parametrize(
    ("locale", "added", "deleted", "intro"),
    [
        (
            "en",
            "A card was added to your wallet",
            "A card was deleted from your wallet",
            "A card was saved in your zhifu wallet:",
        ),
        (
            "ru",
            "В ваш кошелёк добавлена карта",  # noqa: RUF001
            "Из вашего кошелька удалена карта",
            "В вашем кошельке zhifu сохранена карта:",  # noqa: RUF001
        ),
    ],
)
def test_card_e_mails_say_their_language_in_content_language(
    network: Any, locale: str, added: str, deleted: str, intro: str
) -> None:
    buyer = Buyer(7, "vera@example.com", locale)
    card = services.add_card(
        buyer, card_input(label="Salary"), network=network, email=buyer.email, step_up=adding(buyer)
    )
    services.delete_card(buyer, card.id, email=buyer.email, step_up=deleting(buyer, card.id))
    _deliver_all()
    assert [(m.subject, m.extra_headers["Content-Language"]) for m in mail.outbox] == [
        (added, locale),
        (deleted, locale),
    ]
    greeting, first = mail.outbox[0].body.split("\n\n")[:2]
    assert (greeting, first) == ({"en": "Hello,", "ru": "Здравствуйте!"}[locale], intro)
    for message in mail.outbox:
        assert "4242 •••• •••• 4242 (Salary)" in message.body
        assert "http://" in message.body  # the link to the cards page
        assert message.message()["Content-Language"] == locale


def test_without_a_locale_claim_the_e_mail_takes_the_pages_language(network: Any) -> None:
    buyer = Buyer(8, "oleg@example.com", locale="")
    with translation.override("ru"):
        services.add_card(
            buyer, card_input(), network=network, email=buyer.email, step_up=adding(buyer)
        )
    _deliver_all()
    [message] = mail.outbox
    assert message.extra_headers["Content-Language"] == "ru"


def test_a_card_e_mail_reads_no_accounts_table(network: Any) -> None:
    """The event carries the address; with none, nobody is told and no user is looked up."""
    buyer = Buyer(9, "", "en")
    services.add_card(buyer, card_input(), network=network, email="", step_up=adding(buyer))
    message = OutboxMessage.objects.get(topic=services.TOPIC_ADDED)
    with CaptureQueriesContext(connection) as queries:
        registry.handler_for(services.TOPIC_ADDED)(event_of(message))
    assert mail.outbox == []
    assert not [q["sql"] for q in queries if "accounts_" in q["sql"]]


def test_the_card_event_carries_the_masked_number_and_the_address_only(network: Any) -> None:
    buyer = Buyer(10, "lena@example.com", "ru")
    card = services.add_card(
        buyer, card_input(), network=network, email=buyer.email, step_up=adding(buyer)
    )
    payload = OutboxMessage.objects.get(topic=services.TOPIC_ADDED).payload
    assert payload == {
        "owner": "10",
        "email": "lena@example.com",
        "language": "ru",
        "card": card.id,
        "scheme": "Visa",
        "masked": "4242 •••• •••• 4242",
        "label": "",
    }
