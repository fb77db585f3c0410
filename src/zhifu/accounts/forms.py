"""Forms of the wallet's entry: the e-mail gate and the registration's last step."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from zhifu.credentials import domain as credentials_domain
from zhifu.credentials import services as credentials
from zhifu.web.forms import NewPinMixin, QuestionsMixin, payment_password_field


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter a valid e-mail address, like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ConnectForm(EmailForm):
    """The address of the wallet to connect this shop to (the gate's second form)."""

    prefix = "connect"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Address confirmed at your wallet")


class RegistrationForm(NewPinMixin, QuestionsMixin):
    """The first payment password (typed twice) and the three security questions."""

    rules = credentials.FORM_RULES


class PaymentPasswordForm(forms.Form):
    """The wallet's payment password, to connect or remove a shop."""

    pin = payment_password_field(credentials_domain.PIN_LENGTH)


class ChangeEmailForm(PaymentPasswordForm):
    """A new address for the wallet, behind the payment password."""

    email = forms.EmailField(
        label=_("New e-mail address"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter a valid e-mail address, like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(["email", "pin"])
