"""The vault's use cases: add, list, default, delete, reveal, and the loud failures."""

from __future__ import annotations

import datetime as dt
import functools

import pytest
import time_machine
from django.core import mail
from django.db import connections
from django.utils import translation

from tests.wallet.stepup import adding, deleting
from tests.wallet.vault.support import AMEX, MASTERCARD, VISA, Buyer, card_input
from zhifu.connectors.base import (
    DeclineCode,
    NetworkStatus,
    NetworkUnavailable,
    OutcomeUnknown,
    Refused,
    VerifyResult,
)
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.outbox.services import dispatch_due
from zhifu.vault import crypto, keys, services
from zhifu.vault.domain import CardError
from zhifu.vault.models import AuditEvent, StoredCard

pytestmark = pytest.mark.django_db(databases=["default", "vault"])

ANNA, BORIS = Buyer(1, "anna@example.com"), Buyer(2, "boris@example.com")


def test_a_saved_card_is_listed_masked_with_its_scheme_and_expiry(network: FakeCardNetwork) -> None:
    card = services.add_card(
        ANNA, card_input(VISA, label="Salary"), network=network, step_up=adding(ANNA)
    )
    [listed] = services.list_cards(ANNA)
    assert listed == card
    assert listed.masked == "4242 •••• •••• 4242"
    assert (listed.scheme_name, listed.expiry_display, listed.label) == ("Visa", "12/30", "Salary")
    assert listed.is_default  # the first card is the default


def test_the_card_lives_in_the_vault_database_only(network: FakeCardNetwork) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    assert StoredCard.objects.using("vault").filter(id=card.id).exists()
    with connections["default"].cursor() as cur:
        tables = connections["default"].introspection.table_names(cur)
    assert "vault_storedcard" not in tables


def test_the_network_verifies_the_card_with_its_cvc_once(network: FakeCardNetwork) -> None:
    services.add_card(ANNA, card_input(AMEX), network=network, step_up=adding(ANNA))
    assert network.seen_cvcs == ["7391"]


def test_the_same_card_twice_is_refused_for_one_buyer_but_not_another(
    network: FakeCardNetwork,
) -> None:
    services.add_card(ANNA, card_input(VISA), network=network, step_up=adding(ANNA))
    with pytest.raises(services.DuplicateCard):
        services.add_card(
            ANNA,
            card_input("4242 4242 4242 4242", expiry="01/31"),
            network=network,
            step_up=adding(ANNA),
        )
    services.add_card(BORIS, card_input(VISA), network=network, step_up=adding(BORIS))
    assert network.calls == 2  # the duplicate was caught before the network was asked


def test_every_bad_field_is_reported_at_once(network: FakeCardNetwork) -> None:
    with pytest.raises(services.InvalidCardInput) as exc:
        services.add_card(
            ANNA,
            card_input("4242424242424241", expiry="13/30", holder_name="A", cvc="12"),
            network=network,
            step_up=adding(ANNA),
        )
    assert exc.value.errors == {
        "number": CardError.NUMBER_CHECKSUM,
        "expiry": CardError.EXPIRY_FORMAT,
        "holder_name": CardError.NAME_LENGTH,
        "cvc": CardError.CVC_FORMAT,
    }
    assert network.calls == 0
    assert not StoredCard.objects.exists()


@pytest.mark.parametrize("code", list(DeclineCode))
def test_a_declined_card_is_not_saved(code: DeclineCode) -> None:
    network = FakeCardNetwork(outcomes={VISA: Refused(code, "x")})
    with pytest.raises(services.CardDeclined) as exc:
        services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    assert exc.value.decline_code is code
    assert not StoredCard.objects.exists()


def _challenging() -> FakeCardNetwork:
    return FakeCardNetwork(
        outcomes={
            VISA: VerifyResult(
                NetworkStatus.CHALLENGE, "ver_1", challenge_url="https://net/challenge/t/"
            )
        }
    )


def test_a_challenged_card_waits_unlisted_until_the_buyer_confirms() -> None:
    network = _challenging()
    pending = services.add_card(
        ANNA, card_input(), network=network, email=ANNA.email, step_up=adding(ANNA)
    )
    assert isinstance(pending, services.ChallengeRequired)
    assert pending.url == "https://net/challenge/t/"
    assert services.list_cards(ANNA) == []
    with pytest.raises(services.CardNotFound):
        services.reveal_number(pending.card_id, actor="test", purpose="pending")
    card = services.complete_challenge(
        ANNA, pending.card_id, "approve", network=network, email=ANNA.email
    )
    assert [c.id for c in services.list_cards(ANNA)] == [card.id]
    assert card.is_default
    while dispatch_due():
        pass
    assert len(mail.outbox) == 1  # one e-mail, when the card became usable


def test_a_refused_challenge_removes_the_pending_card() -> None:
    network = _challenging()
    pending = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    assert isinstance(pending, services.ChallengeRequired)
    with pytest.raises(services.CardDeclined):
        services.complete_challenge(ANNA, pending.card_id, "decline", network=network)
    assert not StoredCard.objects.exists()


def test_a_forged_answer_or_another_buyer_cannot_complete_a_challenge() -> None:
    network = _challenging()
    pending = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    assert isinstance(pending, services.ChallengeRequired)
    with pytest.raises(services.ChallengeFailed):
        services.complete_challenge(ANNA, pending.card_id, "forged", network=network)
    with pytest.raises(services.CardNotFound):
        services.complete_challenge(BORIS, pending.card_id, "approve", network=network)
    assert services.list_cards(ANNA) == []


def test_an_abandoned_challenge_does_not_block_adding_the_card_again() -> None:
    network = _challenging()
    assert isinstance(
        services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA)),
        services.ChallengeRequired,
    )
    services.add_card(ANNA, card_input(), network=FakeCardNetwork(), step_up=adding(ANNA))
    assert len(services.list_cards(ANNA)) == 1
    assert StoredCard.objects.count() == 1


@pytest.mark.parametrize(
    "error", [NetworkUnavailable("connection refused"), OutcomeUnknown("timeout")]
)
def test_when_the_network_does_not_answer_nothing_is_saved(error: Exception) -> None:
    network = FakeCardNetwork(outcomes={VISA: error})
    with pytest.raises(services.NetworkUnavailable) as exc:
        services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    assert not StoredCard.objects.exists()
    with translation.override("en"):  # messages are translated when read
        assert "Nothing was charged" in exc.value.message
    assert exc.value.code == "card_network_unavailable"


def test_every_verification_carries_its_own_idempotency_key(network: FakeCardNetwork) -> None:
    services.add_card(ANNA, card_input(VISA), network=network, step_up=adding(ANNA))
    services.add_card(ANNA, card_input(MASTERCARD), network=network, step_up=adding(ANNA))
    keys_sent = [r.idempotency_key for r in network.requests]  # type: ignore[attr-defined]
    assert len(set(keys_sent)) == 2
    assert all(keys_sent)


def test_make_default_moves_the_mark(network: FakeCardNetwork) -> None:
    first = services.add_card(ANNA, card_input(VISA), network=network, step_up=adding(ANNA))
    second = services.add_card(ANNA, card_input(MASTERCARD), network=network, step_up=adding(ANNA))
    assert not second.is_default
    services.make_default(ANNA, second.id)
    defaults = [c.id for c in services.list_cards(ANNA) if c.is_default]
    assert defaults == [second.id]
    assert first.id != second.id


def test_deleting_the_default_card_promotes_another(network: FakeCardNetwork) -> None:
    first = services.add_card(ANNA, card_input(VISA), network=network, step_up=adding(ANNA))
    second = services.add_card(ANNA, card_input(MASTERCARD), network=network, step_up=adding(ANNA))
    services.delete_card(ANNA, first.id, step_up=deleting(ANNA, first.id))
    [left] = services.list_cards(ANNA)
    assert left.id == second.id
    assert left.is_default


def test_another_buyers_card_is_not_found(network: FakeCardNetwork) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    delete = functools.partial(services.delete_card, step_up=deleting(BORIS, card.id))
    for action in (services.get_card, services.make_default, delete):
        with pytest.raises(services.CardNotFound):
            action(BORIS, card.id)
    assert services.list_cards(BORIS) == []
    assert services.get_card(ANNA, card.id).id == card.id


def test_cards_expiring_this_month_or_next_are_flagged(network: FakeCardNetwork) -> None:
    with time_machine.travel(dt.datetime(2026, 11, 5, tzinfo=dt.UTC), tick=False):
        card = services.add_card(
            ANNA, card_input(expiry="11/26"), network=network, step_up=adding(ANNA)
        )
        later = services.add_card(
            ANNA, card_input(MASTERCARD, expiry="12/27"), network=network, step_up=adding(ANNA)
        )
        assert card.expiring_soon
        assert not card.expired
        assert not later.expiring_soon
    with time_machine.travel(dt.datetime(2026, 12, 1, tzinfo=dt.UTC), tick=False):
        [*cards] = services.list_cards(ANNA)
        expired = next(c for c in cards if c.id == card.id)
        assert expired.expired
        assert not expired.expiring_soon


def test_reveal_decrypts_and_writes_an_audit_event(network: FakeCardNetwork) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    number = services.reveal_number(card.id, actor="payments", purpose="pay order 42")
    assert number == VISA
    event = AuditEvent.objects.get(card_id=card.id, action=AuditEvent.Action.REVEAL)
    assert (event.actor, event.purpose, event.owner_id) == ("payments", "pay order 42", "1")


def test_a_card_for_a_payment_is_read_once_and_revealed_only_when_asked(
    network: FakeCardNetwork,
) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    with pytest.raises(services.CardNotFound):
        services.card_for_payment(BORIS, card.id)
    chosen = services.card_for_payment(ANNA, card.id)
    assert chosen.card == card
    assert VISA not in repr(chosen)
    assert not AuditEvent.objects.filter(card_id=card.id, action=AuditEvent.Action.REVEAL)
    details = chosen.reveal(purpose="payment pay_1")
    assert (details.number, details.cvc) == (VISA, "")  # a stored card is sent without one
    event = AuditEvent.objects.get(card_id=card.id, action=AuditEvent.Action.REVEAL)
    assert (event.actor, event.purpose) == ("owner:1", "payment pay_1")


def test_reveal_needs_a_who_and_a_why(network: FakeCardNetwork) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    with pytest.raises(ValueError, match="actor and a purpose"):
        services.reveal_number(card.id, actor="", purpose="")


def test_a_tampered_ciphertext_fails_loudly(network: FakeCardNetwork) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    row = StoredCard.objects.get(id=card.id)
    data = bytearray(bytes(row.ciphertext))
    data[20] ^= 0x40
    StoredCard.objects.filter(id=card.id).update(ciphertext=bytes(data))
    with pytest.raises(crypto.TamperedRecord, match=f"card {card.id}: the card number"):
        services.reveal_number(card.id, actor="test", purpose="tamper check")
    assert AuditEvent.objects.filter(
        card_id=card.id, action=AuditEvent.Action.REVEAL_FAILED
    ).exists()


def test_a_ciphertext_moved_to_another_row_fails_loudly(network: FakeCardNetwork) -> None:
    a = services.add_card(ANNA, card_input(VISA), network=network, step_up=adding(ANNA))
    b = services.add_card(ANNA, card_input(MASTERCARD), network=network, step_up=adding(ANNA))
    row_a = StoredCard.objects.get(id=a.id)
    StoredCard.objects.filter(id=b.id).update(
        ciphertext=row_a.ciphertext, wrapped_key=row_a.wrapped_key
    )
    with pytest.raises(crypto.TamperedRecord, match=b.id):
        services.reveal_number(b.id, actor="test", purpose="moved check")


def test_a_ciphertext_moved_to_another_owner_fails_loudly(network: FakeCardNetwork) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    StoredCard.objects.filter(id=card.id).update(owner_id="2")
    with pytest.raises(crypto.TamperedRecord):
        services.reveal_number(card.id, actor="test", purpose="owner check")


def test_a_record_under_a_retired_key_fails_loudly_without_rotation(
    network: FakeCardNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = services.add_card(ANNA, card_input(), network=network, step_up=adding(ANNA))
    ring, _ = keys.key_ring().with_new_key()
    retired = crypto.KeyRing({v: k for v, k in ring.keys.items() if v != 1})
    monkeypatch.setattr(keys, "key_ring", lambda: retired)
    with pytest.raises(crypto.UnknownKeyVersion, match="master key version 1, which is not"):
        services.reveal_number(card.id, actor="test", purpose="retired check")
    with pytest.raises(services.RotationIncomplete, match=card.id):
        services.rewrap_all()
    assert StoredCard.objects.get(id=card.id).key_version == 1


def test_adding_and_deleting_a_card_sends_e_mails_with_the_masked_number_only(
    network: FakeCardNetwork,
) -> None:
    card = services.add_card(
        ANNA, card_input(), network=network, email=ANNA.email, step_up=adding(ANNA)
    )
    services.delete_card(ANNA, card.id, email=ANNA.email, step_up=deleting(ANNA, card.id))
    while dispatch_due():
        pass
    assert [m.to for m in mail.outbox] == [[ANNA.email], [ANNA.email]]
    added, deleted = mail.outbox
    assert "added" in added.subject
    assert "deleted" in deleted.subject
    for message in mail.outbox:
        assert "4242 •••• •••• 4242" in message.body
        assert VISA not in message.message().as_string()


def test_a_redelivered_card_e_mail_is_not_sent_twice(network: FakeCardNetwork) -> None:
    """The outbox delivers at least once; a second delivery of one message stays silent."""
    from zhifu.outbox.models import OutboxMessage
    from zhifu.outbox.services import event_of, registry

    services.add_card(ANNA, card_input(), network=network, email=ANNA.email, step_up=adding(ANNA))
    message = OutboxMessage.objects.get(topic=services.TOPIC_ADDED)
    card_added = registry.handler_for(services.TOPIC_ADDED)
    card_added(event_of(message))
    card_added(event_of(message))  # the worker died before "done"
    assert len(mail.outbox) == 1


def test_the_e_mail_is_in_the_buyers_language(network: FakeCardNetwork) -> None:
    ivan = Buyer(3, "ivan@example.com", "ru")
    services.add_card(ivan, card_input(), network=network, email=ivan.email, step_up=adding(ivan))
    while dispatch_due():
        pass
    [message] = mail.outbox
    assert message.subject == "В ваш кошелёк добавлена карта"  # noqa: RUF001
    assert "4242 •••• •••• 4242" in message.body
