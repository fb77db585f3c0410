from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from zhifu.marketplace import domain, services
from zhifu.marketplace.models import LOCALES, Buyer
from zhifu.marketplace.throttle import account_challenged


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
        # Whether the address has an account is never said here (SEC-16): the sign-up
        # e-mail tells its owner (zhifu.marketplace.services.start_signup).
        return Buyer.objects.normalize_email(self.cleaned_data["email"]).lower()

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
        "challenge": _(
            "This account has had many failed logins lately. Answer the question below and "
            "enter your password again."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")
        self.challenge_required = False

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and self.request and account_challenged(self.request, username):
            # Checked before the password, which is not even tried without the answer.
            self.challenge_required = True
            if not services.solve_challenge(
                str(self.data.get("challenge", "")), str(self.data.get("challenge_answer", ""))
            ):
                raise forms.ValidationError(self.error_messages["challenge"], code="challenge")
        return super().clean()


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
        # Same answer whether or not the mail went out: no account enumeration.
        services.send_mail(to_email, "password_reset", language, context)


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


class ChangePasswordForm(PasswordChangeForm):
    """Settings → "Change my password" for a signed-in buyer: the current one, then the new
    one twice, with the reset form's labels."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": _("This is not your current password. Type it again."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["new_password1"].label = _("New password")
        self.fields["new_password1"].help_text = _(
            "At least 8 characters; a long passphrase is best."
        )
        self.fields["new_password2"].label = _("Repeat new password")
        self.fields["new_password2"].help_text = ""


class ChallengeForm(forms.Form):
    """The challenge's answer (zhifu.marketplace.services.new_challenge), sent with a form."""

    challenge = forms.CharField(required=False, widget=forms.HiddenInput)
    challenge_answer = forms.CharField(required=False, max_length=3)

    def solved(self) -> bool:
        return self.is_valid() and services.solve_challenge(
            self.cleaned_data["challenge"], self.cleaned_data["challenge_answer"]
        )


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


class RefundForm(forms.Form):
    """The staff's refund: an amount in the order's currency ("12.50"), empty for all."""

    amount = forms.CharField(label=_("Amount"), required=False, max_length=20)
