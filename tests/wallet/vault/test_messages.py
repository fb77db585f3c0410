"""The card rules' numbers in the card pages' sentences come from the vault's domain."""

from __future__ import annotations

from django.utils import translation

from zhifu.vault import domain
from zhifu.vault.forms import MESSAGES


def test_the_name_and_label_limits_are_read_from_the_domain() -> None:
    with translation.override("en"):
        assert str(MESSAGES[domain.CardError.NAME_LENGTH]) == (
            f"The name on a card has {domain.NAME_MIN} to {domain.NAME_MAX} characters."
        )
        assert str(MESSAGES[domain.CardError.LABEL_LENGTH]) == (
            f"A label has at most {domain.LABEL_MAX} characters."
        )


def test_the_limits_read_naturally_in_russian() -> None:
    with translation.override("ru"):
        assert str(MESSAGES[domain.CardError.NAME_LENGTH]) == "Имя на карте — от 2 до 26 символов."
        label = "Название карты — не длиннее 40 символов."
        assert str(MESSAGES[domain.CardError.LABEL_LENGTH]) == label
