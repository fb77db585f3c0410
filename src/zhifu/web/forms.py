"""Form pieces the wallet's pages share: the one payment-password field, a new PIN typed
twice, and the three security questions.

The rules are ``credentials.domain``'s and the question wording ``credentials.services``';
here they only get their fields and sentences, so the registration page (accounts), the
security pages (credentials) and the card pages (vault) ask in the same way.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_stubs_ext import StrPromise

from zhifu.credentials import domain as credentials_domain
from zhifu.credentials import services as credentials

PIN_LENGTH = credentials_domain.PIN_LENGTH


def pin_format_message() -> str:
    n = PIN_LENGTH
    return ngettext(
        "The payment password must be exactly %(n)d digit.",
        "The payment password must be exactly %(n)d digits.",
        n,
    ) % {"n": n}


class _FormatMessage:
    """The format sentence as a lazy value (read when shown, in the language of the page)."""

    def __str__(self) -> str:
        return pin_format_message()


PIN_MESSAGES: dict[str, Any] = {
    "format": _FormatMessage(),
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


def payment_password_field(
    label: StrPromise | None = None, required_message: StrPromise | None = None
) -> forms.CharField:
    """The one payment-password field: PIN_LENGTH digits, never sent back to the browser."""
    return forms.CharField(
        label=label or _("Payment password"),
        max_length=PIN_LENGTH,
        strip=False,
        error_messages={
            "required": required_message or _("Enter your payment password."),
            "max_length": PIN_MESSAGES["format"],
        },
        widget=forms.PasswordInput(
            render_value=False,  # a PIN is never sent back to the browser
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "maxlength": str(PIN_LENGTH),
                "pattern": f"[0-9]{{{PIN_LENGTH}}}",
            },
        ),
    )


class NewPinMixin(forms.Form):
    """Fields ``pin`` and ``pin_repeat`` checked against the domain rules."""

    pin = payment_password_field(_("Payment password"), _("Enter a payment password."))
    pin_repeat = payment_password_field(
        _("Repeat payment password"), _("Repeat the payment password.")
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_new_pin()
        return cleaned

    def clean_new_pin(self) -> None:
        pin = self.cleaned_data.get("pin")
        repeat = self.cleaned_data.get("pin_repeat")
        if pin is None:
            return
        for code in credentials_domain.pin_problems(pin, repeat):
            if code == "mismatch":
                if "pin_repeat" not in self.errors:
                    self.add_error("pin_repeat", MISMATCH)
            else:
                self.add_error("pin", str(PIN_MESSAGES[code]))


class QuestionsMixin(forms.Form):
    """Three question selects and three answers; ``email`` is the address no answer may
    be."""

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        self.add_question_fields()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.clean_questions()
        return cleaned

    def add_question_fields(self) -> None:
        for n in range(1, credentials_domain.QUESTION_COUNT + 1):
            self.fields[f"question_{n}"] = forms.ChoiceField(
                label=_("Security question %(n)s") % {"n": n},
                choices=credentials.question_choices,
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

    def choices(self) -> list[credentials_domain.QuestionChoice]:
        return [
            credentials_domain.QuestionChoice(
                self.cleaned_data.get(f"question_{n}") or "",
                self.cleaned_data.get(f"answer_{n}") or "",
            )
            for n in range(1, credentials_domain.QUESTION_COUNT + 1)
        ]

    def clean_questions(self) -> None:
        choices = self.choices()
        problems = credentials_domain.question_problems(choices, self.email)
        for i, codes in sorted(problems.items()):
            for code in codes:
                field = f"question_{i + 1}" if "question" in code else f"answer_{i + 1}"
                if field in self.errors and "question" in code:
                    continue  # "Choose a question." already says it
                if code == "unknown_question" and not choices[i].question:
                    continue
                self.add_error(field, QUESTION_MESSAGES[code])
