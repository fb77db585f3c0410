"""The cashier's forms: a saved card with the payment password, a new card, the balance.

The card fields are the vault's (``web.forms.CardFieldsMixin`` with
``vault.services.CARD_FORM_RULES``) and the payment password is the one field every wallet
page uses, so the cashier says what the card pages say for the same mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhifu.credentials import domain as credentials_domain
from zhifu.vault import services as vault
from zhifu.web.forms import CardFieldsMixin, payment_password_field

# Which form a POST to the cashier is for (the name of its submit button's field).
SAVED_CARD, NEW_CARD, BALANCE = "saved_card", "new_card", "balance"
METHODS = (SAVED_CARD, NEW_CARD, BALANCE)


def _pin() -> forms.CharField:
    return payment_password_field(
        credentials_domain.PIN_LENGTH, label=_("Enter your payment password")
    )


class SavedCardForm(forms.Form):
    """One of the buyer's saved cards (default first) and the payment password."""

    card_id = forms.ChoiceField(
        label=_("Card"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a card."),
            "invalid_choice": _("Choose one of your saved cards."),
        },
    )
    payment_password = _pin()

    def __init__(self, *args: Any, cards: Sequence[Any] | None = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cards is None:  # not read: the card is any id, and the vault says whose it is
            choice = self.fields["card_id"]
            self.fields["card_id"] = forms.CharField(
                label=choice.label, max_length=64, error_messages=choice.error_messages
            )
            self.cards: list[Any] = []
            return
        self.cards = list(cards)
        field = self.fields["card_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c.id, c.masked) for c in self.cards]
        if self.cards and not self.is_bound:
            self.initial.setdefault("card_id", self.cards[0].id)  # the default card

    def forget_secrets(self) -> None:
        if self.is_bound:
            self.data = {k: v for k, v in self.data.items() if k != "payment_password"}


class NewCardForm(CardFieldsMixin):
    """A card typed here; its CVC is used for this payment only. ``save`` is offered to
    a fully registered buyer (a light account has no vault to save to yet)."""

    rules = vault.CARD_FORM_RULES
    save = forms.BooleanField(label=_("Save this card"), required=False)

    def __init__(self, *args: Any, can_save: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_save:
            del self.fields["save"]


class BalanceForm(forms.Form):
    """The wallet's balance, after the payment password. ``quote`` names the locked
    exchange offer of a balance in another currency (empty: the payment's own currency)."""

    quote = forms.CharField(required=False, max_length=40)
    payment_password = _pin()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "balance")
        super().__init__(*args, **kwargs)

    def forget_secrets(self) -> None:
        if self.is_bound:
            self.data = {k: v for k, v in self.data.items() if not k.endswith("payment_password")}
