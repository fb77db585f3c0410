"""Use cases for the payment password and security questions (they own the transaction).

Public API for other areas (payments, vault, recovery):

- ``has_payment_password(user) -> bool``
- ``verify_payment_password(user, pin) -> bool``: step-up check; raises
  ``PaymentPasswordLocked`` while locked (5 failures in a row lock it for 3 hours).
- ``lock_state(user) -> datetime | None``: when the current lock ends, if locked.
- ``register_credentials(user, pin, choices)``, ``change_payment_password(user, new)``,
  ``change_security_questions(user, choices)``: set new values (already validated by
  ``domain``; they validate again and raise ``ValueError`` on a rule breach).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from zhifu.credentials import domain, hashing
from zhifu.credentials.models import PaymentPassword, SecurityAnswer
from zhifu.kernel import clock
from zhifu.notifications import services as notifications

PIN = "payment-password"
ANSWER = "security-answer"


class PaymentPasswordLocked(Exception):
    """Too many wrong payment passwords: no check is made until ``until``."""

    def __init__(self, until: dt.datetime) -> None:
        super().__init__(f"payment password locked until {until.isoformat()}")
        self.until = until


class NoPaymentPassword(LookupError):
    """The user has not set a payment password yet (registration not finished)."""


def has_payment_password(user: Any) -> bool:
    return PaymentPassword.objects.filter(user=user).exists()


def lock_state(user: Any) -> dt.datetime | None:
    row = PaymentPassword.objects.filter(user=user).only("locked_until").first()
    if row and row.locked_until and clock.now() < row.locked_until:
        return row.locked_until
    return None


def verify_payment_password(user: Any, pin: str) -> bool:
    """True if ``pin`` is the user's payment password.

    The check and the counter update happen under a row lock, so concurrent guesses cannot
    slip past the limit. Raises PaymentPasswordLocked while locked (a locked account gets
    no answer about the PIN at all), NoPaymentPassword if none is set.
    """
    with transaction.atomic():
        row = PaymentPassword.objects.select_for_update().filter(user=user).first()
        if row is None:
            raise NoPaymentPassword
        now = clock.now()
        state = domain.AttemptState(row.failures, row.locked_until)
        if domain.is_locked(state, now):
            assert row.locked_until is not None
            raise PaymentPasswordLocked(row.locked_until)
        ok = hashing.check(PIN, pin, row.pin_hash)
        state = domain.after_success() if ok else domain.after_failure(state, now)
        row.failures, row.locked_until = state.failures, state.locked_until
        row.save(update_fields=["failures", "locked_until"])
    if not ok and state.locked_until is not None:
        raise PaymentPasswordLocked(state.locked_until)
    return ok


def _check_pin(pin: str) -> None:
    problems = domain.pin_problems(pin)
    if problems:
        raise ValueError(f"payment password refused: {', '.join(problems)}")


def _answers(user: Any, choices: list[domain.QuestionChoice]) -> list[SecurityAnswer]:
    if len(choices) != domain.QUESTION_COUNT:
        raise ValueError("exactly three questions are needed")
    problems = domain.question_problems(choices, user.email or "")
    if problems:
        raise ValueError(f"security questions refused: {problems}")
    return [
        SecurityAnswer(
            user=user,
            position=i + 1,
            question=c.question,
            answer_hash=hashing.make(ANSWER, domain.normalize_answer(c.answer)),
        )
        for i, c in enumerate(choices)
    ]


def register_credentials(user: Any, pin: str, choices: list[domain.QuestionChoice]) -> None:
    """Set the first payment password and questions. Runs inside the caller's transaction
    when there is one (registration also consumes the e-mail link)."""
    _check_pin(pin)
    answers = _answers(user, choices)
    pin_hash = hashing.make(PIN, pin)
    with transaction.atomic():
        if PaymentPassword.objects.filter(user=user).exists():
            raise ValueError("credentials are already set")
        PaymentPassword.objects.create(user=user, pin_hash=pin_hash)
        SecurityAnswer.objects.bulk_create(answers)


def change_payment_password(user: Any, new_pin: str) -> None:
    """Replace the payment password (the caller has verified the current one)."""
    _check_pin(new_pin)
    pin_hash = hashing.make(PIN, new_pin)
    with transaction.atomic():
        row = PaymentPassword.objects.select_for_update().get(user=user)
        row.pin_hash = pin_hash
        row.changed_at = clock.now()
        row.failures, row.locked_until = 0, None
        row.save(update_fields=["pin_hash", "changed_at", "failures", "locked_until"])
        notifications.queue_email(user, "payment_password_changed")


def change_security_questions(user: Any, choices: list[domain.QuestionChoice]) -> None:
    """Replace all three questions and answers (the caller has verified the payment
    password)."""
    answers = _answers(user, choices)
    with transaction.atomic():
        SecurityAnswer.objects.filter(user=user).delete()
        SecurityAnswer.objects.bulk_create(answers)
        notifications.queue_email(user, "security_questions_changed")


def questions_of(user: Any) -> list[str]:
    """The question keys the user chose, in order (never the answers)."""
    return list(
        SecurityAnswer.objects.filter(user=user)
        .order_by("position")
        .values_list("question", flat=True)
    )


def attempts_left(user: Any) -> int:
    row = PaymentPassword.objects.filter(user=user).only("failures").first()
    return domain.MAX_FAILURES - (row.failures if row else 0)
