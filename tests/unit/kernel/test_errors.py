"""The kernel's one error family."""

from __future__ import annotations

import pytest

from zhifu.kernel.errors import Refusal, codes_of


class _Lazy:
    """Stands in for a lazy gettext proxy: the text is chosen when read."""

    language = "en"

    def __str__(self) -> str:
        return "Only %(left)s left" if self.language == "en" else "Осталось %(left)s"


class TooMuch(Refusal):
    code = "too_much"
    default_message = _Lazy()


class TooMuchToday(TooMuch):
    code = "too_much_today"


def test_a_refusal_carries_code_message_and_param() -> None:
    refusal = TooMuch(param="amount", params={"left": "5"})
    assert refusal.code == "too_much"
    assert refusal.param == "amount"
    assert refusal.message == "Only 5 left"
    assert str(refusal) == "Only 5 left"
    assert refusal.as_error() == {"code": "too_much", "message": "Only 5 left", "param": "amount"}


def test_the_message_is_translated_when_read_not_when_raised() -> None:
    refusal = TooMuch(params={"left": "5"})
    _Lazy.language = "ru"
    try:
        assert refusal.message == "Осталось 5"
    finally:
        _Lazy.language = "en"


def test_codes_are_collected_per_family() -> None:
    assert codes_of(TooMuch) == {"too_much": TooMuch, "too_much_today": TooMuchToday}


def test_a_code_used_twice_is_caught() -> None:
    class Family(Refusal):
        code = "family"

    class One(Family):
        code = "same"

    class Two(Family):
        code = "same"

    with pytest.raises(AssertionError, match="same"):
        codes_of(Family)


class _Plural:
    """Stands in for a lazy ngettext proxy: the form is picked by the number in the params."""

    def __mod__(self, params: dict[str, int]) -> str:
        return ("%(n)d try left" if params["n"] == 1 else "%(n)d tries left") % params


class TriesLeft(Refusal):
    code = "tries_left"
    default_message = _Plural()


def test_a_plural_message_picks_its_form_from_the_params() -> None:
    assert TriesLeft(params={"n": 1}).message == "1 try left"
    assert TriesLeft(params={"n": 3}).message == "3 tries left"
