"""The step-up: one service, a short-lived single-use proof bound to one action and owner,
redeemed inside the guarded use case's transaction; one lockout counter for every page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import translation

from tests.wallet.accounts.support import GOOD_PIN, registered_buyer, sign_in
from tests.wallet.vault.support import MASTERCARD, VISA, card_input
from zhifu.accounts.models import User
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.credentials import domain, services
from zhifu.credentials.domain import Action, bound
from zhifu.credentials.models import PaymentPassword, StepUpProof
from zhifu.vault import services as vault

pytestmark = pytest.mark.django_db(databases=["default", "vault"])

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
PIN_CHANGE = bound(Action.PIN_CHANGE)
QUESTIONS_CHANGE = bound(Action.QUESTIONS_CHANGE)
CARD_ADD = bound(Action.CARD_ADD)


@pytest.fixture
def user() -> User:
    return registered_buyer()


@pytest.fixture
def network(settings: Any) -> FakeCardNetwork:
    """The wallet's card network, chosen by settings (restored after the test)."""
    fake = FakeCardNetwork()
    settings.ZHIFU_CARD_NETWORK = fake
    return fake


def redeem(owner: object, proof: domain.StepUp, action: str) -> None:
    with transaction.atomic():
        services.redeem_step_up(owner, proof, action)


def test_a_right_pin_gives_a_proof_for_that_action_only(user: User) -> None:
    proof = services.step_up(user, GOOD_PIN, PIN_CHANGE)
    assert proof.action == PIN_CHANGE
    for other in (CARD_ADD, QUESTIONS_CHANGE, bound(Action.CARD_DELETE, "card_x")):
        with pytest.raises(services.StepUpInvalid):
            redeem(user, proof, other)
    redeem(user, proof, PIN_CHANGE)  # still good for its own action


def test_a_proof_to_delete_one_card_cannot_delete_another(
    user: User, network: FakeCardNetwork
) -> None:
    first = vault.add_card(
        user, card_input(VISA), step_up=services.step_up(user, GOOD_PIN, CARD_ADD)
    )
    second = vault.add_card(
        user, card_input(MASTERCARD), step_up=services.step_up(user, GOOD_PIN, CARD_ADD)
    )
    proof = services.step_up(user, GOOD_PIN, vault.delete_action(first.id))
    with pytest.raises(services.StepUpInvalid):
        vault.delete_card(user, second.id, step_up=proof)
    assert {c.id for c in vault.list_cards(user)} == {first.id, second.id}
    vault.delete_card(user, first.id, step_up=proof)
    assert [c.id for c in vault.list_cards(user)] == [second.id]


def test_a_proof_is_used_once(user: User) -> None:
    proof = services.step_up(user, GOOD_PIN, PIN_CHANGE)
    services.change_payment_password(user, "480913", step_up=proof)
    with pytest.raises(services.StepUpInvalid):
        services.change_payment_password(user, "718293", step_up=proof)
    assert services.verify_payment_password(user, "480913")


def test_one_add_card_proof_saves_one_card(user: User, network: FakeCardNetwork) -> None:
    proof = services.step_up(user, GOOD_PIN, CARD_ADD)
    vault.add_card(user, card_input(VISA), step_up=proof)
    with pytest.raises(services.StepUpInvalid):
        vault.add_card(user, card_input(MASTERCARD), step_up=proof)
    assert len(vault.list_cards(user)) == 1
    assert network.calls == 1  # the replay was refused before the network was asked


def test_a_proof_expires(user: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        proof = services.step_up(user, GOOD_PIN, PIN_CHANGE)
        assert proof.expires_at == START + domain.STEP_UP_LIFETIME
        traveller.shift(domain.STEP_UP_LIFETIME)
        with pytest.raises(services.StepUpInvalid):
            services.change_payment_password(user, "480913", step_up=proof)
    assert services.verify_payment_password(user, GOOD_PIN)


def test_another_users_proof_is_refused(user: User, network: FakeCardNetwork) -> None:
    other = registered_buyer("boris@example.com")
    theirs = services.step_up(other, GOOD_PIN, PIN_CHANGE)
    with pytest.raises(services.StepUpInvalid):
        services.change_payment_password(user, "480913", step_up=theirs)
    card_proof = services.step_up(other, GOOD_PIN, CARD_ADD)
    with pytest.raises(services.StepUpInvalid):
        vault.add_card(user, card_input(), step_up=card_proof)
    assert network.calls == 0
    assert services.verify_payment_password(user, GOOD_PIN)


def test_a_forged_token_is_refused(user: User) -> None:
    real = services.step_up(user, GOOD_PIN, PIN_CHANGE)
    forged = domain.StepUp(
        token=real.token[:-1] + ("A" if real.token[-1] != "A" else "B"),
        action=PIN_CHANGE,
        expires_at=real.expires_at,
    )
    with pytest.raises(services.StepUpInvalid):
        services.change_payment_password(user, "480913", step_up=forged)


def test_a_wrong_pin_gives_no_proof_and_says_how_many_attempts_are_left(user: User) -> None:
    with pytest.raises(services.WrongPaymentPassword) as wrong:
        services.step_up(user, "000001", PIN_CHANGE)
    assert wrong.value.attempts_left == domain.MAX_FAILURES - 1
    assert wrong.value.code == "payment_password_wrong"
    with translation.override("en"):
        assert wrong.value.message == "The payment password is wrong. 4 attempts left."
    with translation.override("ru"):
        assert wrong.value.message == "Неверный платёжный пароль. Осталось 4 попытки."
    assert not StepUpProof.objects.exists()


def test_only_a_digest_of_the_token_is_stored_and_it_is_never_shown(user: User) -> None:
    proof = services.step_up(user, GOOD_PIN, PIN_CHANGE)
    row = StepUpProof.objects.get()
    assert row.token_hash == domain.proof_digest(proof.token) != proof.token
    assert proof.token not in repr(proof)


def test_the_proof_is_spent_only_if_the_change_commits(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhifu.notifications import services as notifications

    proof = services.step_up(user, GOOD_PIN, PIN_CHANGE)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox down")

    monkeypatch.setattr(notifications, "queue_email", fail)
    with pytest.raises(RuntimeError):
        services.change_payment_password(user, "480913", step_up=proof)
    assert StepUpProof.objects.get().used_at is None  # rolled back with the change
    assert services.verify_payment_password(user, GOOD_PIN)
    monkeypatch.undo()
    services.change_payment_password(user, "480913", step_up=proof)  # the same proof, once
    assert services.verify_payment_password(user, "480913")


def test_a_pin_change_revokes_every_other_outstanding_proof(
    user: User, network: FakeCardNetwork
) -> None:
    card_proof = services.step_up(user, GOOD_PIN, CARD_ADD)
    change = services.step_up(user, GOOD_PIN, PIN_CHANGE)
    services.change_payment_password(user, "480913", step_up=change)
    with pytest.raises(services.StepUpInvalid):
        vault.add_card(user, card_input(), step_up=card_proof)


@pytest.mark.django_db(transaction=True)
def test_redeeming_outside_a_transaction_is_a_bug(user: User) -> None:
    proof = services.step_up(user, GOOD_PIN, PIN_CHANGE)
    with pytest.raises(RuntimeError):
        services.redeem_step_up(user, proof, PIN_CHANGE)


def test_a_failed_delete_keeps_the_proof(user: User, network: FakeCardNetwork) -> None:
    card = vault.add_card(user, card_input(), step_up=services.step_up(user, GOOD_PIN, CARD_ADD))
    proof = services.step_up(user, GOOD_PIN, vault.delete_action("card_gone"))
    with pytest.raises(vault.CardNotFound):
        vault.delete_card(user, "card_gone", step_up=proof)
    assert StepUpProof.objects.get(action=vault.delete_action("card_gone")).used_at is None
    assert vault.list_cards(user)[0].id == card.id


# --- one lockout counter, whichever page asks -------------------------------------------


def test_wrong_pins_on_every_page_share_one_counter_and_lock_them_all(
    client: Client, user: User, network: FakeCardNetwork
) -> None:
    sign_in(client, user)
    card = vault.add_card(
        user, card_input(VISA), step_up=services.step_up(user, GOOD_PIN, CARD_ADD)
    )
    add = {"number": MASTERCARD, "expiry": "12/30", "holder_name": "ANNA IVANOVA", "cvc": "739"}
    questions = {
        "question_1": "first_job", "answer_1": "Bakery", "question_2": "first_car",
        "answer_2": "Lada", "question_3": "favourite_dish", "answer_3": "Borscht",
    }  # fmt: skip
    pin = {"pin": "480913", "pin_repeat": "480913"}
    wrong = "000001"
    with time_machine.travel(START, tick=False):
        sign_in(client, user)
        posts = [
            (f"/cards/{card.id}/delete/", {"payment_password": wrong}),
            ("/cards/add/", {**add, "payment_password": wrong}),
            ("/account/payment-password/", {**pin, "current_pin": wrong}),
            ("/account/security-questions/", {**questions, "current_pin": wrong}),
        ]
        for n, (url, data) in enumerate(posts, start=1):
            resp = client.post(url, data)
            assert resp.status_code in (400, 403), url
            left = domain.MAX_FAILURES - n
            told = f"{left} attempts left." if left > 1 else "Last attempt: after it the payment"
            assert told in resp.content.decode(), url
        # The fifth wrong PIN, on any page, locks every page; even the right one is refused.
        resp = client.post("/cards/add/", {**add, "payment_password": wrong})
        assert "locked until noon\xa0(UTC)" in resp.content.decode()
        for url, data in posts:
            data = {**data, ("payment_password" if "cards" in url else "current_pin"): GOOD_PIN}
            html = client.post(url, data).content.decode()
            assert "locked until noon\xa0(UTC)" in html, url
            if url.startswith("/account/"):
                # Said once, by the notice at the top: not again in the error summary.
                assert html.count("locked until") == 1, url
    assert PaymentPassword.objects.get(user=user).failures == domain.MAX_FAILURES
    assert len(vault.list_cards(user)) == 1
    assert network.calls == 1  # the first card only: no locked or wrong step-up reached it


def test_the_lock_holds_across_a_restart_for_the_step_up(user: User) -> None:
    for _ in range(domain.MAX_FAILURES - 1):
        with pytest.raises(services.WrongPaymentPassword):
            services.step_up(user, "000001", CARD_ADD)
    with pytest.raises(services.PaymentPasswordLocked):
        services.step_up(user, "000001", PIN_CHANGE)
    fresh = User.objects.get(pk=user.pk)  # nothing in memory
    with pytest.raises(services.PaymentPasswordLocked):
        services.step_up(fresh, GOOD_PIN, CARD_ADD)
    assert not StepUpProof.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_of_one_proof_change_once() -> None:
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    user = registered_buyer()
    proof = services.step_up(user, GOOD_PIN, PIN_CHANGE)
    barrier = Barrier(2)

    def change(new_pin: str) -> str:
        try:
            barrier.wait()
            services.change_payment_password(user, new_pin, step_up=proof)
            return "changed"
        except services.StepUpInvalid:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(change, ["480913", "718293"]))
    assert results == ["changed", "refused"]
    assert StepUpProof.objects.filter(used_at__isnull=False).count() == 1
