"""verify_payment_password, the lockout (docs/security.md SEC-12) and changing credentials."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client

from tests.wallet.accounts.support import GOOD_PIN, registered_buyer, sign_in
from zhifu.accounts.models import Platform, User
from zhifu.credentials import services
from zhifu.credentials.domain import Action, bound
from zhifu.credentials.models import PaymentPassword, SecurityAnswer
from zhifu.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def user() -> User:
    return registered_buyer()


def test_right_pin_is_accepted(user: User) -> None:
    assert services.verify_payment_password(user, GOOD_PIN) is True


def test_wrong_pin_is_refused(user: User) -> None:
    assert services.verify_payment_password(user, "000001") is False


def test_five_wrong_pins_lock_for_three_hours(user: User) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(4):
            assert services.verify_payment_password(user, "000001") is False
        with pytest.raises(services.PaymentPasswordLocked) as locked:
            services.verify_payment_password(user, "000001")
        assert locked.value.until == START + dt.timedelta(hours=3)
        # Even the right PIN gets no answer while locked.
        with pytest.raises(services.PaymentPasswordLocked):
            services.verify_payment_password(user, GOOD_PIN)
        traveller.shift(dt.timedelta(hours=2, minutes=59))
        with pytest.raises(services.PaymentPasswordLocked):
            services.verify_payment_password(user, GOOD_PIN)
        traveller.shift(dt.timedelta(minutes=1))
        assert services.verify_payment_password(user, GOOD_PIN) is True


def test_the_lock_survives_a_restart(user: User) -> None:
    for _ in range(4):
        services.verify_payment_password(user, "000001")
    with pytest.raises(services.PaymentPasswordLocked):
        services.verify_payment_password(user, "000001")
    # A "restart": nothing in memory, a fresh user object read from the database.
    fresh = User.objects.get(pk=user.pk)
    assert PaymentPassword.objects.get(user=fresh).locked_until is not None
    with pytest.raises(services.PaymentPasswordLocked):
        services.verify_payment_password(fresh, GOOD_PIN)


def test_failures_count_across_challenges_and_reset_on_success(user: User) -> None:
    for _ in range(3):
        services.verify_payment_password(user, "000001")
    assert services.attempts_left(user) == 2
    assert services.verify_payment_password(user, GOOD_PIN)
    assert services.attempts_left(user) == 5


def test_verify_without_a_payment_password_raises(db: None) -> None:
    from tests.wallet.accounts.support import new_buyer

    with pytest.raises(services.NoPaymentPassword):
        services.verify_payment_password(new_buyer("x@example.com"), GOOD_PIN)


def test_change_pin_needs_the_current_one(client: Client, user: User) -> None:
    sign_in(client, user)
    resp = client.post(
        "/account/payment-password/",
        {"current_pin": "000001", "pin": "480913", "pin_repeat": "480913"},
    )
    assert resp.status_code == 400
    assert "The payment password is wrong. 4 attempts left." in resp.content.decode()
    assert services.verify_payment_password(user, GOOD_PIN)


def test_change_pin_when_locked_says_until_when(client: Client, user: User) -> None:
    sign_in(client, user)
    with time_machine.travel(START, tick=False):
        sign_in(client, user)
        for _ in range(5):
            resp = client.post(
                "/account/payment-password/",
                {"current_pin": "000001", "pin": "480913", "pin_repeat": "480913"},
            )
    html = resp.content.decode()
    # Said once, by the notice at the top: not again in an error summary.
    assert html.count("locked until") == 1
    assert "Your payment password is locked until noon\xa0(UTC) after 5 wrong attempts." in html
    assert "error-summary" not in html
    assert 'fieldset class="plain" disabled' in html


def test_change_pin_refuses_a_weak_new_one(client: Client, user: User) -> None:
    sign_in(client, user)
    resp = client.post(
        "/account/payment-password/",
        {"current_pin": GOOD_PIN, "pin": "654321", "pin_repeat": "654321"},
    )
    assert resp.status_code == 400
    assert "do not use digits in a row" in resp.content.decode()


def test_change_pin_works_and_notifies(client: Client, user: User) -> None:
    sign_in(client, user)
    resp = client.post(
        "/account/payment-password/",
        {"current_pin": GOOD_PIN, "pin": "480913", "pin_repeat": "480913"},
    )
    assert resp["Location"] == "/account/"
    assert services.verify_payment_password(user, "480913")
    assert OutboxMessage.objects.filter(payload__template="payment_password_changed").exists()


def test_change_questions_needs_the_payment_password(client: Client, user: User) -> None:
    sign_in(client, user)
    before = list(SecurityAnswer.objects.values_list("answer_hash", flat=True))
    data = {
        "current_pin": "000001",
        "question_1": "first_job",
        "answer_1": "Bakery",
        "question_2": "first_car",
        "answer_2": "Lada",
        "question_3": "favourite_dish",
        "answer_3": "Borscht",
    }
    resp = client.post("/account/security-questions/", data)
    assert resp.status_code == 400
    assert list(SecurityAnswer.objects.values_list("answer_hash", flat=True)) == before
    resp = client.post("/account/security-questions/", {**data, "current_pin": GOOD_PIN})
    assert resp["Location"] == "/account/"
    assert services.questions_of(user) == ["first_job", "first_car", "favourite_dish"]
    assert OutboxMessage.objects.filter(payload__template="security_questions_changed").exists()


def test_notification_email_is_in_russian_for_a_russian_buyer(db: None) -> None:
    from django.core import mail

    from zhifu.outbox.services import dispatch_due

    user = registered_buyer(locale="ru")
    proof = services.step_up(user, GOOD_PIN, bound(Action.PIN_CHANGE))
    services.change_payment_password(user, "480913", step_up=proof)
    dispatch_due()
    assert mail.outbox[-1].subject == "Ваш платёжный пароль изменён"
    assert mail.outbox[-1].to == [user.email]


def test_redelivered_outbox_message_sends_once(db: None) -> None:
    from django.core import mail

    from zhifu.notifications.handlers import deliver
    from zhifu.notifications.services import TOPIC
    from zhifu.outbox.domain import Event

    user = registered_buyer()
    payload = {"to": user.email, "template": "payment_password_changed", "language": "en",
               "context": {}}  # fmt: skip
    event = Event(
        id=42, topic=TOPIC, created=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), payload=payload
    )
    deliver(event)
    deliver(event)
    assert len(mail.outbox) == 1


def test_unchanged_platform_is_irrelevant(platform: Platform) -> None:
    assert platform.balance_enabled is False  # off by default, per platform


def test_the_unlock_time_is_in_the_buyers_time_zone_and_labelled() -> None:
    """Rendered in the active time zone (a time-zone middleware sets the buyer's), with its
    name; the date only when the lock ends on another day there."""
    from django.utils import timezone, translation

    from zhifu.credentials.errors import unlock_time

    until = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        with translation.override("en"):
            assert unlock_time(until) == "noon\xa0(UTC)"
            with timezone.override("Europe/Moscow"):
                assert unlock_time(until) == "3 p.m.\xa0(GMT+3)"
        with translation.override("ru"), timezone.override("Asia/Tokyo"):
            # 21:00 in Tokyo, on the same day there as 18:00 now.
            assert unlock_time(until) == "21:00\xa0(UTC+9)"
    with time_machine.travel(dt.datetime(2026, 3, 1, 22, 30, tzinfo=dt.UTC), tick=False):
        late = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.UTC)
        with translation.override("en"):
            assert unlock_time(late) == "March 2, 2026, 1:30 a.m.\xa0(UTC)"


def test_the_change_email_page_says_the_lock_once(client: Client, user: User) -> None:
    with time_machine.travel(START, tick=False):
        sign_in(client, user)
        for _ in range(4):
            services.verify_payment_password(user, "000001")
        resp = client.post("/account/email/", {"email": "new@example.com", "pin": "000001"})
    html = resp.content.decode()
    assert html.count("locked until") == 1
    assert "error-summary" not in html
