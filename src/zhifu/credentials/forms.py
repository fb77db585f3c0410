"""Forms for the payment password and security questions; messages per rule code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from zhifu.credentials import domain, questions, services

PIN_MESSAGES: dict[str, StrPromise] = {
    "format": _("The payment password must be exactly 6 digits."),
    "repeated": _("Too easy to guess: do not use one digit six times."),
    "sequential": _("Too easy to guess: do not use digits in a row such as 123456 or 654321."),
    "common": _("Too easy to guess: this is one of the most common payment passwords."),
}
MISMATCH = _("The two payment passwords do not match.")
QUESTION_MESSAGES: dict[str, StrPromise] = {
    "unknown_question": _("Choose a question from the list."),
    "duplicate_question": _("Choose three different questions."),
    "empty_answer": _("Enter an answer."),
    "duplicate_answer": _("Each answer must be different."),
    "answer_is_email": _("The answer must not be your e-mail address."),
}


def pin_field(label: StrPromise, required_message: StrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=6,
        strip=False,
        error_messages={"required": required_message, "max_length": PIN_MESSAGES["format"]},
        widget=forms.PasswordInput(
            render_value=False,  # a PIN is never sent back to the browser
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "maxlength": "6",
                "pattern": "[0-9]{6}",
            },
        ),
    )


def locked_message(until: Any) -> str:
    when = formats.date_format(until, "DATETIME_FORMAT")
    return str(
        _("Too many wrong payment passwords. It is locked until %(when)s (UTC).") % {"when": when}
    )


class NewPinMixin(forms.Form):
    """Fields ``pin`` and ``pin_repeat`` checked against the domain rules."""

    pin = pin_field(_("Payment password"), _("Enter a payment password."))
    pin_repeat = pin_field(_("Repeat payment password"), _("Repeat the payment password."))

    def clean_new_pin(self) -> None:
        pin = self.cleaned_data.get("pin")
        repeat = self.cleaned_data.get("pin_repeat")
        if pin is None:
            return
        problems = domain.pin_problems(pin, repeat)
        for code in problems:
            if code == "mismatch":
                if "pin_repeat" not in self.errors:
                    self.add_error("pin_repeat", MISMATCH)
            else:
                self.add_error("pin", PIN_MESSAGES[code])


class QuestionsMixin(forms.Form):
    """Three question selects and three answers."""

    email = ""

    def add_question_fields(self) -> None:
        for n in range(1, domain.QUESTION_COUNT + 1):
            self.fields[f"question_{n}"] = forms.ChoiceField(
                label=_("Security question %(n)s") % {"n": n},
                choices=questions.choices,
                error_messages={
                    "required": _("Choose a question."),
                    "invalid_choice": QUESTION_MESSAGES["unknown_question"],
                },
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=_("Answer %(n)s") % {"n": n},
                max_length=100,
                required=False,  # an empty answer gets the domain's message below
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )

    def choices(self) -> list[domain.QuestionChoice]:
        return [
            domain.QuestionChoice(
                self.cleaned_data.get(f"question_{n}") or "",
                self.cleaned_data.get(f"answer_{n}") or "",
            )
            for n in range(1, domain.QUESTION_COUNT + 1)
        ]

    def clean_questions(self) -> None:
        choices = self.choices()
        problems = domain.question_problems(choices, self.email)
        for i, codes in sorted(problems.items()):
            for code in codes:
                field = f"question_{i + 1}" if "question" in code else f"answer_{i + 1}"
                if field in self.errors and "question" in code:
                    continue  # "Choose a question." already says it
                if code == "unknown_question" and not choices[i].question:
                    continue
                self.add_error(field, QUESTION_MESSAGES[code])


class RegistrationForm(NewPinMixin, QuestionsMixin):
    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.add_question_fields()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_new_pin()
        self.clean_questions()
        return cleaned


class CurrentPinMixin(forms.Form):
    user: Any = None
    current_pin = pin_field(_("Current payment password"), _("Enter your payment password."))

    def clean_current_pin(self) -> str:
        pin = str(self.cleaned_data["current_pin"])
        try:
            ok = services.verify_payment_password(self.user, pin)
        except services.PaymentPasswordLocked as exc:
            raise forms.ValidationError(locked_message(exc.until), code="locked") from None
        if not ok:
            left = services.attempts_left(self.user)
            raise forms.ValidationError(
                _("The payment password is wrong. Attempts left before a 3-hour lock: %(left)d.")
                % {"left": left},
                code="wrong",
            )
        return pin


class ChangePinForm(CurrentPinMixin, NewPinMixin):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["pin"].label = _("New payment password")
        self.fields["pin_repeat"].label = _("Repeat new payment password")
        self.order_fields(["current_pin", "pin", "pin_repeat"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "current_pin" in self.errors:
            return cleaned  # never judge the new one before the current one is right
        self.clean_new_pin()
        return cleaned


class ChangeQuestionsForm(CurrentPinMixin, QuestionsMixin):
    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.email = user.email or ""
        self.add_question_fields()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_questions()
        return cleaned
