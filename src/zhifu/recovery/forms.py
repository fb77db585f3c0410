"""Forms of recovery: the address with a captcha, the three answers, the new password."""

from __future__ import annotations

from typing import Any

from captcha.fields import CaptchaField, CaptchaTextInput  # type: ignore[import-untyped]
from captcha.models import CaptchaStore  # type: ignore[import-untyped]
from django import forms
from django.utils.translation import gettext_lazy as _

from zhifu.config.site import config
from zhifu.credentials import services as credentials
from zhifu.web.forms import NewPinMixin

ANSWER_MAX = 100


class CaptchaInput(CaptchaTextInput):
    """The image, its refresh button and the field (recovery/_captcha_widget.html).

    With the test-only ZHIFU_TEST_REVEAL_CAPTCHA (refused outside demo mode by
    zhifu.config.environment) the answer rides along for the browser tests."""

    template_name = "recovery/_captcha_widget.html"

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        if config().env.test_reveal_captcha and config().demo:
            store = CaptchaStore.objects.filter(hashkey=self._key).first()
            context["reveal"] = store.response if store else ""
        return context


class RequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter a valid e-mail address, like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # Single use (the store is deleted on any check) and valid CAPTCHA_TIMEOUT minutes.
    captcha = CaptchaField(
        label=_("Type the characters in the picture"),
        widget=CaptchaInput(attrs={"autocomplete": "off", "autocapitalize": "off"}),
        error_messages={
            "invalid": _("The characters do not match the picture. Try the new picture."),
            "required": _("Nothing typed yet."),
        },
    )


class AnswersForm(forms.Form):
    """Three answers, in the order of the buyer's questions; never sent back."""

    def __init__(self, *args: Any, questions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n, question in enumerate(questions, start=1):
            self.fields[f"answer_{n}"] = forms.CharField(
                label=question,
                max_length=ANSWER_MAX,
                strip=False,
                error_messages={"required": _("Enter an answer.")},
                widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            )

    def answers(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.fields]


class NewPinForm(NewPinMixin):
    """The registration's rules (credentials.FORM_RULES); "different from the old" is the
    view's check (recovery.services.new_pin_errors)."""

    rules = credentials.FORM_RULES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pin"].label = _("New payment password")
        self.fields["pin_repeat"].label = _("Repeat new payment password")
