"""The add-card and delete-card forms; card rules come from domain via services."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from zhifu.connectors.base import DeclineCode
from zhifu.credentials import domain as credentials_domain
from zhifu.vault import domain
from zhifu.web.forms import payment_password_field


class Interpolated:
    """A lazy message with its numbers from ``domain``, interpolated when shown (in the
    page's language, with the plural form a lazy ngettext picks for them)."""

    def __init__(self, template: Any, **params: int) -> None:
        self.template, self.params = template, params

    def __str__(self) -> str:
        return str(self.template % self.params)


MESSAGES: dict[domain.CardError, Any] = {
    domain.CardError.NUMBER_REQUIRED: _("Enter the card number."),
    domain.CardError.NUMBER_NOT_DIGITS: _("A card number has digits only."),
    domain.CardError.NUMBER_UNKNOWN_SCHEME: _(
        "We do not recognise this card's payment system. Check the number."
    ),
    domain.CardError.NUMBER_LENGTH: _("This card number has the wrong number of digits."),
    domain.CardError.NUMBER_CHECKSUM: _("This card number is not valid. Check it for typos."),
    domain.CardError.EXPIRY_FORMAT: _("Enter the expiry date as MM/YY, for example 08/29."),
    domain.CardError.EXPIRY_PAST: _("This card has expired."),
    domain.CardError.EXPIRY_TOO_FAR: _("Check the expiry date: it is too far in the future."),
    domain.CardError.NAME_REQUIRED: _("Enter the name as printed on the card."),
    domain.CardError.NAME_LENGTH: Interpolated(
        ngettext_lazy(
            "The name on a card has %(min)d to %(max)d character.",
            "The name on a card has %(min)d to %(max)d characters.",
            "max",
        ),
        min=domain.NAME_MIN,
        max=domain.NAME_MAX,
    ),
    domain.CardError.NAME_CHARACTERS: _(
        "Use letters, spaces, hyphens and apostrophes only, as printed on the card."
    ),
    domain.CardError.CVC_FORMAT: _(
        "Enter the 3-digit code from the back of the card (4 digits on the front for "
        "American Express)."
    ),
    domain.CardError.LABEL_LENGTH: Interpolated(
        ngettext_lazy(
            "A label has at most %(n)d character.", "A label has at most %(n)d characters.", "n"
        ),
        n=domain.LABEL_MAX,
    ),
    domain.CardError.LABEL_DIGITS: Interpolated(
        ngettext_lazy(
            "A label can hold at most %(n)d digit.", "A label can hold at most %(n)d digits.", "n"
        ),
        n=domain.LABEL_MAX_DIGITS,
    ),
}

DECLINES: dict[DeclineCode, Any] = {
    DeclineCode.INSUFFICIENT_FUNDS: _(
        "Your bank declined the card: insufficient funds. Try another card."
    ),
    DeclineCode.DO_NOT_HONOUR: _(
        "Your bank declined the card. Contact your bank or try another card."
    ),
    DeclineCode.EXPIRED_CARD: _("Your bank says this card has expired. Try another card."),
    DeclineCode.STOLEN_CARD: _(
        "Your bank declined the card. Contact your bank or try another card."
    ),
    DeclineCode.INCORRECT_CVC: _("The CVC is incorrect. Check the code and try again."),
    DeclineCode.INVALID_NUMBER: _("Your bank does not know this card number. Check it."),
    DeclineCode.OTHER: _("Your bank declined the card. Contact your bank or try another card."),
}

FIELD_FOR_DECLINE = {DeclineCode.INCORRECT_CVC: "cvc", DeclineCode.INVALID_NUMBER: "number"}


def scheme_table() -> str:
    """The IIN table for the page's script (live scheme logo), from the one source."""
    # detect_scheme is the authority; the browser only guesses a logo while typing.
    return json.dumps(
        [[lo, hi, scheme.value] for lo, hi, scheme in domain.iin_ranges()],
        separators=(",", ":"),
    )


class AddCardForm(forms.Form):
    number = forms.CharField(
        label=_("Card number"),
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
        label=_("Expiry (MM/YY)"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-exp", "inputmode": "numeric", "placeholder": "MM/YY"}
        ),
    )
    holder_name = forms.CharField(
        label=_("Cardholder name"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name", "spellcheck": "false"}),
    )
    cvc = forms.CharField(
        label=_("CVC"),
        max_length=4,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "maxlength": "4"}
        ),
    )
    label = forms.CharField(
        label=_("Your label for this card (optional)"),
        max_length=60,
        required=False,
    )
    # Step-up before adding a card (docs/security.md SEC-21), checked after the card fields.
    payment_password = payment_password_field(credentials_domain.PIN_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["number"].widget.attrs["data-schemes"] = scheme_table()
        for name in ("number", "expiry", "holder_name", "cvc"):
            self.fields[name].error_messages["required"] = MESSAGES[
                {
                    "number": domain.CardError.NUMBER_REQUIRED,
                    "expiry": domain.CardError.EXPIRY_FORMAT,
                    "holder_name": domain.CardError.NAME_REQUIRED,
                    "cvc": domain.CardError.CVC_FORMAT,
                }[name]
            ]

    @property
    def has_field_errors(self) -> bool:
        """Errors beside fields (the summary then points at them), not only form-wide ones."""
        return any(name != NON_FIELD_ERRORS for name in self.errors)

    def forget_secrets(self) -> None:
        """Never send the card number, CVC or PIN back to the browser after an error."""
        if self.is_bound:
            secret = ("number", "cvc", "payment_password")
            self.data = {k: v for k, v in self.data.items() if k not in secret}


class DeleteCardForm(forms.Form):
    payment_password = payment_password_field(credentials_domain.PIN_LENGTH)
