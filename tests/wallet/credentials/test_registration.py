"""The registration form opened by the confirmation link: every bad input."""

from __future__ import annotations

import re

import pytest
from argon2 import extract_parameters
from argon2.low_level import Type
from django.core import mail
from django.test import Client

from tests.wallet.accounts.support import new_buyer, sign_in
from zhifu.accounts.models import Platform, User
from zhifu.credentials.models import PaymentPassword, SecurityAnswer
from zhifu.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

VALID = {
    "pin": "583920",
    "pin_repeat": "583920",
    "question_1": "first_pet",
    "answer_1": "Barsik",
    "question_2": "birth_city",
    "answer_2": "Novosibirsk",
    "question_3": "favourite_book",
    "answer_3": "Master and Margarita",
}


@pytest.fixture
def link(client: Client, platform: Platform) -> str:
    user = new_buyer(locale="en")
    sign_in(client, user, platform)
    client.post("/confirm-email/", {"email": "buyer@example.com"})
    match = re.search(r"/confirm-email/([\w-]+)/", mail.outbox[-1].body)
    assert match
    return match.group(0)


def _post(client: Client, link: str, **changes: str) -> tuple[int, str]:
    resp = client.post(link, {**VALID, **changes})
    return resp.status_code, resp.content.decode()


def test_valid_form_completes_registration(client: Client, link: str) -> None:
    resp = client.post(link, VALID)
    assert resp["Location"] == "/registered/"
    page = client.get("/registered/").content.decode()
    assert "Registration complete" in page
    assert "Go to my account" in page
    user = User.objects.get()
    assert user.email == "buyer@example.com"
    assert user.email_confirmed


@pytest.mark.parametrize(
    ("pin", "message"),
    [
        ("111111", "Too easy to guess: do not use one digit six times."),
        ("123456", "Too easy to guess: do not use digits in a row such as 123456 or 654321."),
        ("987654", "Too easy to guess: do not use digits in a row such as 123456 or 654321."),
        ("890123", "Too easy to guess: do not use digits in a row such as 123456 or 654321."),
        ("121212", "Too easy to guess: this is one of the most common payment passwords."),
        ("520520", "Too easy to guess: this is one of the most common payment passwords."),
        ("12345", "The payment password must be exactly 6 digits."),
        ("12a456", "The payment password must be exactly 6 digits."),
        ("\uff11\uff12\uff13\uff19\uff18\uff17", "The payment password must be exactly 6 digits."),
    ],
)
def test_weak_or_malformed_pin_is_refused(
    client: Client, link: str, pin: str, message: str
) -> None:
    status, html = _post(client, link, pin=pin, pin_repeat=pin)
    assert status == 400
    assert message in html
    assert not PaymentPassword.objects.exists()


def test_mismatched_pin_is_refused(client: Client, link: str) -> None:
    status, html = _post(client, link, pin_repeat="583921")
    assert status == 400
    assert "The two payment passwords do not match." in html


def test_missing_pin_is_refused(client: Client, link: str) -> None:
    status, html = _post(client, link, pin="", pin_repeat="")
    assert status == 400
    assert "Enter a payment password." in html


def test_duplicate_questions_are_refused(client: Client, link: str) -> None:
    status, html = _post(client, link, question_3="first_pet")
    assert status == 400
    assert "Choose three different questions." in html


def test_unchosen_question_is_refused(client: Client, link: str) -> None:
    status, html = _post(client, link, question_2="")
    assert status == 400
    assert "Choose a question." in html


def test_empty_answer_is_refused(client: Client, link: str) -> None:
    status, html = _post(client, link, answer_2="   ")
    assert status == 400
    assert "Enter an answer." in html


def test_equal_answers_are_refused_after_normalizing(client: Client, link: str) -> None:
    status, html = _post(client, link, answer_1="Barsik", answer_3="  BARSIK ")
    assert status == 400
    assert "Each answer must be different." in html


def test_answer_equal_to_the_email_is_refused(client: Client, link: str) -> None:
    status, html = _post(client, link, answer_2="Buyer@Example.com")
    assert status == 400
    assert "The answer must not be your e-mail address." in html


def test_input_is_kept_after_an_error_except_the_pin(client: Client, link: str) -> None:
    status, html = _post(client, link, pin="999999", pin_repeat="999999")
    assert status == 400
    assert 'value="Novosibirsk"' in html
    assert '<option value="birth_city" selected>' in html
    assert "999999" not in html
    assert "Please correct the following:" in html


def test_a_failed_form_does_not_use_up_the_link(client: Client, link: str) -> None:
    _post(client, link, pin="111111", pin_repeat="111111")
    assert client.post(link, VALID).status_code == 302


@pytest.mark.production_hashing
def test_pin_and_answers_are_stored_as_argon2id(client: Client, link: str) -> None:
    client.post(link, VALID)
    hashes = [PaymentPassword.objects.get().pin_hash] + [
        a.answer_hash for a in SecurityAnswer.objects.all()
    ]
    assert len(hashes) == 4
    salts = set()
    for h in hashes:
        params = extract_parameters(h)
        assert params.type is Type.ID
        assert params.memory_cost == 19456
        assert params.time_cost == 2
        assert params.parallelism == 1
        salts.add(h.split("$")[4])
    assert len(salts) == 4


def test_registration_complete_email_goes_through_the_outbox(client: Client, link: str) -> None:
    client.post(link, VALID)
    message = OutboxMessage.objects.get(topic="notifications.email")
    assert message.payload["template"] == "registration_complete"
    assert message.payload["to"] == "buyer@example.com"


def test_registration_page_is_in_russian(client: Client, link: str) -> None:
    html = client.get(link, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    for words in ("Платёжный пароль", "Повторите платёжный пароль", "Секретный вопрос 1",
                  "Завершить регистрацию"):  # fmt: skip
        assert words in html
