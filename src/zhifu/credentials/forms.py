"""Forms of the security section: a new payment password, new security questions.

Each asks for the current payment password in the one shared field; the form checks the
fields' shape and the new values' rules only. The payment password itself is checked by
``services.step_up`` in the view, and the change redeems that proof in its own
transaction, so a wrong PIN is counted once and a typo in the new values costs no attempt.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhifu.credentials import domain
from zhifu.credentials.services import FORM_RULES
from zhifu.web.forms import NewPinMixin, QuestionsMixin, payment_password_field


class CurrentPinMixin(forms.Form):
    rules = FORM_RULES
    current_pin = payment_password_field(
        domain.PIN_LENGTH, _("Current payment password"), _("Enter your payment password.")
    )


class ChangePinForm(CurrentPinMixin, NewPinMixin):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pin"].label = _("New payment password")
        self.fields["pin_repeat"].label = _("Repeat new payment password")
        self.order_fields(["current_pin", "pin", "pin_repeat"])


class ChangeQuestionsForm(CurrentPinMixin, QuestionsMixin):
    pass
