"""Form pieces the wallet's pages share: the one payment-password field, a new PIN typed
twice, and the security questions.

web sits below every area, so these pieces know no rule: a form names its ``rules`` (an
area's :class:`PinRules`, such as ``credentials.services.FORM_RULES``) and the mixins ask
them for the PIN length, the question choices and the errors of what was typed. The
registration page (accounts), the security pages (credentials) and the card pages (vault)
then ask in the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

FieldErrors = dict[str, list[str]]


@dataclass(frozen=True)
class PinRules:
    """What the forms need to know of the payment-password rules (given by their area)."""

    pin_length: int
    question_count: int
    question_choices: Callable[[], Sequence[tuple[str, Any]]]
    # (pin, repeat) -> errors by field ("pin", "pin_repeat")
    new_pin_errors: Callable[[str, str | None], FieldErrors]
    # ([(question, answer), ...], email) -> errors by field ("question_1", "answer_2", ...)
    question_errors: Callable[[list[tuple[str, str]], str], FieldErrors]
    unknown_question: Any  # the message for a choice outside the list


class FormatMessage:
    """ "Exactly N digits", read when shown (in the page's language, N's plural form)."""

    def __init__(self, length: int) -> None:
        self.length = length

    def __str__(self) -> str:
        n = self.length
        return ngettext(
            "The payment password must be exactly %(n)d digit.",
            "The payment password must be exactly %(n)d digits.",
            n,
        ) % {"n": n}


def payment_password_field(
    length: int, label: Any = None, required_message: Any = None
) -> forms.CharField:
    """The one payment-password field: ``length`` digits, never sent back to the browser."""
    messages: dict[str, Any] = {
        "required": required_message or _("Enter your payment password."),
        "max_length": FormatMessage(length),
    }
    return forms.CharField(
        label=label or _("Payment password"),
        max_length=length,
        strip=False,
        error_messages=messages,
        widget=forms.PasswordInput(
            render_value=False,  # a PIN is never sent back to the browser
            attrs={
                "inputmode": "numeric",
                "autocomplete": "off",
                "maxlength": str(length),
                "pattern": f"[0-9]{{{length}}}",
            },
        ),
    )


def add_errors(form: forms.Form, errors: FieldErrors) -> None:
    """Add rule errors beside their fields, except where a field's own check already
    said what is wrong (a missing value is not also "too easy to guess")."""
    for field, messages in errors.items():
        if field in form.errors:
            continue
        for message in messages:
            form.add_error(field, message)


class NewPinMixin(forms.Form):
    """Fields ``pin`` and ``pin_repeat``, judged by ``rules.new_pin_errors``."""

    rules: ClassVar[PinRules]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        n = self.rules.pin_length
        self.fields["pin"] = payment_password_field(
            n, _("Payment password"), _("Enter a payment password.")
        )
        self.fields["pin_repeat"] = payment_password_field(
            n, _("Repeat payment password"), _("Repeat the payment password.")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pin = cleaned.get("pin")
        if pin is not None:
            add_errors(self, self.rules.new_pin_errors(pin, cleaned.get("pin_repeat")))
        return cleaned


class QuestionsMixin(forms.Form):
    """The security questions (selects) with their answers, judged by
    ``rules.question_errors``; ``email`` is the address no answer may be."""

    rules: ClassVar[PinRules]

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email
        for n in range(1, self.rules.question_count + 1):
            self.fields[f"question_{n}"] = forms.ChoiceField(
                label=_("Security question %(n)s") % {"n": n},
                choices=self.rules.question_choices,
                error_messages={
                    "required": _("Choose a question."),
                    "invalid_choice": self.rules.unknown_question,
                },
            )
            self.fields[f"answer_{n}"] = forms.CharField(
                label=_("Answer %(n)s") % {"n": n},
                max_length=100,
                required=False,  # an empty answer gets the rules' message
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )

    def answers(self) -> list[tuple[str, str]]:
        """(question key, answer as typed), in order."""
        return [
            (
                self.cleaned_data.get(f"question_{n}") or "",
                self.cleaned_data.get(f"answer_{n}") or "",
            )
            for n in range(1, self.rules.question_count + 1)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        add_errors(self, self.rules.question_errors(self.answers(), self.email))
        return cleaned
