from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from zhifu.marketplace import domain
from zhifu.marketplace.models import LOCALES, Buyer

logger = logging.getLogger(__name__)


def _language_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Language"), choices=LOCALES)


class SignUpForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; a long passphrase is best."),
    )
    locale = _language_field()

    def clean_email(self) -> str:
        email = Buyer.objects.normalize_email(self.cleaned_data["email"]).lower()
        if Buyer.objects.filter(email=email).exists():
            raise forms.ValidationError(
                _("An account with this e-mail already exists. Log in or reset your password."),
                code="duplicate",
            )
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            candidate = Buyer(email=cleaned.get("email", ""), name=cleaned.get("name", ""))
            try:
                # mypy checks against the typecheck settings, whose user model is the wallet's.
                password_validation.validate_password(password, candidate)  # type: ignore[arg-type]
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class LoginForm(AuthenticationForm):
    """E-mail and password. The e-mail is compared in lower case, as it is stored."""

    username = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail or password is incorrect."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()


class LocalizedPasswordResetForm(PasswordResetForm):
    """Sends the reset e-mail in the buyer's own language, whatever the page's language."""

    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        user = context.get("user")
        language = getattr(user, "locale", None) or translation.get_language() or "en"
        with translation.override(language):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        try:
            message.send()
        except Exception:
            # Same answer whether or not the mail went out: no account enumeration.
            logger.exception("password reset e-mail could not be sent")


class NewPasswordForm(SetPasswordForm):
    """Django's form for the reset link, with the shop's labels and one short hint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password1"].help_text = _(
            "At least 8 characters; a long passphrase is best."
        )
        self.fields["new_password2"].label = _("Repeat new password")
        self.fields["new_password2"].help_text = ""


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    locale = _language_field()


class AddToCartForm(forms.Form):
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=domain.MAX_QUANTITY, initial=1
    )


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=domain.MAX_QUANTITY)
