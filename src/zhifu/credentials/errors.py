"""The refusals of the payment password and the step-up: every code in one place.

Pages show ``refusal.message``; the merchant API will render ``refusal.as_error()``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from zhifu.credentials import domain
from zhifu.kernel import clock
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


def attempts_left_message(left: int) -> str:
    """What a buyer is told once a payment password was wrong: the tries left, and before
    the last one what comes after it (the same words on every page that asks for it)."""
    if left <= 1:
        hours = domain.LOCK_HOURS
        return ngettext(
            "Last attempt: after it the payment password will be locked for %(hours)d hour.",
            "Last attempt: after it the payment password will be locked for %(hours)d hours.",
            hours,
        ) % {"hours": hours}
    return ngettext("%(left)d attempt left.", "%(left)d attempts left.", left) % {"left": left}


def unlock_time(until: dt.datetime) -> str:
    """``until`` in the current time zone (the buyer's, where a middleware set it), labelled
    with that zone: "14:14 (MSK)"; with the date when it is not today there."""
    local = timezone.localtime(until)
    today = timezone.localtime(clock.now()).date()
    return local_text(until, "TIME_FORMAT" if local.date() == today else "DATETIME_FORMAT")


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
    default_message = _("Too many wrong payment passwords: it is locked until %(when)s.")
    http_status = 423

    def __init__(self, until: dt.datetime, *, param: str | None = None) -> None:
        # Formatted when raised: the refusal is read in the same request, in its language
        # and its time zone.
        when = unlock_time(until)
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
        wrong = gettext("The payment password is wrong.")
        return f"{wrong} {attempts_left_message(self.attempts_left)}"


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


def field_error(refusal: CredentialsRefusal) -> str | None:
    """The words a refused payment password puts beside its field; None for a lock, which
    every page that asks for the password says once, in its notice at the top (not again
    in the form's error summary)."""
    return None if isinstance(refusal, PaymentPasswordLocked) else refusal.message
