"""The add-card and delete-card forms; card rules come from domain via services.

The card fields are the shared ``web.forms.CardFieldsMixin`` with the vault's words
(``services.CARD_FORM_RULES``), which the payments cashier's new-card form uses too.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhifu.credentials import domain as credentials_domain
from zhifu.vault import services
from zhifu.vault.errors import CARD_MESSAGES as MESSAGES
from zhifu.vault.errors import DECLINES, FIELD_FOR_DECLINE
from zhifu.web.forms import CardFieldsMixin, payment_password_field

__all__ = ["DECLINES", "FIELD_FOR_DECLINE", "MESSAGES", "AddCardForm", "DeleteCardForm"]


class AddCardForm(CardFieldsMixin):
    rules = services.CARD_FORM_RULES
    label = forms.CharField(
        label=_("Your label for this card (optional)"),
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # Step-up before adding a card (docs/security.md SEC-21), checked after the card fields.
    payment_password = payment_password_field(credentials_domain.PIN_LENGTH)


class DeleteCardForm(forms.Form):
    payment_password = payment_password_field(credentials_domain.PIN_LENGTH)
