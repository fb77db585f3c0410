"""Form pieces the wallet's pages share: the one payment-password field, a new PIN typed
twice, the security questions, and the card fields (number, expiry, name, CVC).

web sits below every area, so these pieces know no rule: a form names its ``rules`` (an
area's :class:`PinRules`, such as ``credentials.services.FORM_RULES``) and the mixins ask
them for the PIN length, the question choices and the errors of what was typed. The
registration page (accounts), the security pages (credentials) and the card pages (vault)
then ask in the same way. The card fields likewise take the vault's :class:`CardRules`
(``vault.services.CARD_FORM_RULES``): the card pages and the payments cashier share them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from zhifu.kernel import clock

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
                "class": "pin-input",
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


@dataclass(frozen=True)
class CardRules:
    """What the card fields need from the vault: their words and the scheme table."""

    labels: dict[str, Any]  # by field: number, expiry, holder_name, cvc
    required: dict[str, Any]  # the message when that field is empty
    expiry_placeholder: Any
    scheme_table: Callable[[], str]  # the IIN table (JSON) for the live scheme logo
    browser_messages: Callable[[], str]  # the messages (JSON) of the checks as one types


class CardFieldsMixin(forms.Form):
    """Fields ``number``, ``expiry``, ``holder_name`` and ``cvc``, with the autocomplete and
    inputmode a phone needs; ``rules`` gives their words. The card rules themselves are
    the vault's (``vault.services.validate``): these fields only bound the lengths."""

    rules: ClassVar[CardRules]
    # Never sent back to the browser after an error (UX.md: every form).
    secret_fields: ClassVar[tuple[str, ...]] = ("number", "cvc", "payment_password")

    number = forms.CharField(
        max_length=30,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "spellcheck": "false",
                "placeholder": "0000 0000 0000 0000",
                "class": "card-number-input",
            }
        ),
    )
    expiry = forms.CharField(
        max_length=7,
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "inputmode": "numeric"}),
    )
    holder_name = forms.CharField(
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name", "spellcheck": "false"}),
    )
    # Visible while typed, so that a typo can be seen (as Stripe's); never sent back.
    cvc = forms.CharField(
        max_length=4,  # the maxlength attribute too; cards.js makes it 3 but for Amex
        widget=forms.TextInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rules = self.rules
        for name in ("number", "expiry", "holder_name", "cvc"):
            self.fields[name].label = rules.labels[name]
            self.fields[name].error_messages["required"] = rules.required[name]
        self.fields["number"].widget.attrs["data-schemes"] = rules.scheme_table()
        self.fields["number"].widget.attrs["data-messages"] = rules.browser_messages()
        self.fields["expiry"].widget.attrs["placeholder"] = rules.expiry_placeholder
        # The month the server is in: the page's "has expired" check must not follow a
        # device whose clock is wrong (or a test's pinned clock).
        self.fields["expiry"].widget.attrs["data-month"] = f"{clock.now():%Y-%m}"

    @property
    def has_field_errors(self) -> bool:
        """Errors beside fields (the summary then points at them), not only form-wide ones."""
        return any(name != NON_FIELD_ERRORS for name in self.errors)

    def forget_secrets(self) -> None:
        """Never send the card number, CVC or PIN back to the browser after an error."""
        if self.is_bound:
            self.data = {k: v for k, v in self.data.items() if k not in self.secret_fields}
