"""The refusals of the payment password and the step-up: every code in one place.

Pages show ``refusal.message``; the merchant API will render ``refusal.as_error()``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zhifu.credentials import domain
from zhifu.kernel.errors import Codes, Refusal
from zhifu.web.forms import FormatMessage
from zhifu.web.timezone import local_text

# Why a new payment password or a set of questions is refused, by ``domain``'s rule code.
PIN_MESSAGES: dict[str, Any] = {
    "format": FormatMessage(domain.PIN_LENGTH),
    "repeated": _("Too easy to guess: do not use one digit six times."),
    "sequential": _("Too easy to guess: do not use digits in a row such as 123456 or 654321."),
    "common": _("Too easy to guess: this is one of the most common payment passwords."),
}
MISMATCH = _("The two payment passwords do not match.")
QUESTION_MESSAGES: dict[str, Any] = {
    "unknown_question": _("Choose a question from the list."),
    "duplicate_question": _("Choose three different questions."),
    "empty_answer": _("Enter an answer."),
    "duplicate_answer": _("Each answer must be different."),
    "answer_is_email": _("The answer must not be your e-mail address."),
}


class CredentialsCode(Codes):
    LOCKED = "payment_password_locked"
    WRONG = "payment_password_wrong"
    NOT_SET = "payment_password_not_set"
    STEP_UP_INVALID = "step_up_invalid"


class CredentialsRefusal(Refusal):
    """Base of the credentials area's refusals."""

    code = "credentials_refused"
    http_status = 403


class PaymentPasswordLocked(CredentialsRefusal):
    """Too many wrong payment passwords: no check is made until ``until``."""

    code = CredentialsCode.LOCKED
    default_message = _("Too many wrong payment passwords. It is locked until %(when)s.")
    http_status = 423

    def __init__(self, until: dt.datetime, *, param: str | None = None) -> None:
        # Formatted when raised: the refusal is read in the same request, in its language.
        when = local_text(until)
        super().__init__(param=param, params={"when": when}, until=until)
        self.until = until


class WrongPaymentPassword(CredentialsRefusal):
    """The payment password is wrong; ``attempts_left`` more before the lock."""

    code = CredentialsCode.WRONG

    def __init__(self, attempts_left: int, *, param: str | None = None) -> None:
        super().__init__(param=param, attempts_left=attempts_left)
        self.attempts_left = attempts_left

    @property
    def message(self) -> str:
        # Each number takes its own plural: «Осталось 4 попытки … на 3 часа».
        hours = domain.LOCK_HOURS
        duration = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
        return ngettext(
            "The payment password is wrong. %(left)d attempt left, then it is locked for "
            "%(duration)s.",
            "The payment password is wrong. %(left)d attempts left, then it is locked for "
            "%(duration)s.",
            self.attempts_left,
        ) % {"left": self.attempts_left, "duration": duration}


class NoPaymentPassword(CredentialsRefusal):
    """The user has not set a payment password yet (registration not finished)."""

    code = CredentialsCode.NOT_SET
    default_message = _("Set up your payment password first: finish your wallet registration.")


class StepUpInvalid(CredentialsRefusal):
    """The step-up proof is unknown, for another action or owner, used, or expired.

    One refusal for every reason: the caller learns nothing about other people's proofs.
    """

    code = CredentialsCode.STEP_UP_INVALID
    default_message = _(
        "Please type your payment password again: the confirmation is no longer valid."
    )
