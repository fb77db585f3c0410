"""Django's stock validation messages come out in zhifu's words (zhifu.web.stock_messages),
not Django's («Обязательное поле.», «Введенные пароли не совпадают.»)."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils import translation

from zhifu.web import stock_messages

DJANGO_WORDING = ("Обязательное поле.", "Введенные пароли", "Убедитесь, что", "Введённый пароль")


def _errors(run: object) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        run()  # type: ignore[operator]
    return refused.value.messages


def test_every_stock_message_has_zhifu_s_russian_wording() -> None:
    with translation.override("ru"):
        for message in stock_messages.SINGLE:
            shown = translation.gettext(message)
            assert shown != message, message
            assert not shown.startswith(DJANGO_WORDING), shown


def test_forms_and_validators_say_them() -> None:
    with translation.override("ru"):
        assert _errors(lambda: forms.CharField().clean("")) == ["Заполните это поле."]
        assert _errors(lambda: forms.IntegerField(min_value=1).clean("0")) == [
            "Значение должно быть не меньше 1."
        ]
        assert _errors(lambda: MinimumLengthValidator(8).validate("abc")) == [
            "Пароль слишком короткий: нужно не меньше 8 символов."
        ]
        assert _errors(lambda: MinimumLengthValidator(21).validate("abc")) == [
            "Пароль слишком короткий: нужно не меньше 21 символа."
        ]
        assert _errors(lambda: forms.CharField(min_length=3).clean("ab")) == [
            "Введите не меньше 3 символов (сейчас 2)."
        ]
