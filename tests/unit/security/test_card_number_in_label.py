"""Hardening finding: a card number must not get into a card label, whatever separates its
digit groups, and the log masker must find it in the same shapes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhifu.kernel.masking import mask_card_numbers
from zhifu.vault import domain

CARD = "4242424242424242"
SEPARATORS = [" ", "-", ".", "/", "_", ",", ":", "+", "|", "\\", "*", "#", "\u00a0", "\u2013"]


def grouped(digits: str, sep: str, size: int = 4) -> str:
    return sep.join(digits[i : i + size] for i in range(0, len(digits), size))


@pytest.mark.parametrize("sep", SEPARATORS)
def test_card_number_in_label_is_refused_whatever_the_separator(sep: str) -> None:
    with pytest.raises(domain.InvalidCard) as caught:
        domain.parse_label(grouped(CARD, sep))
    assert caught.value.error == domain.CardError.LABEL_DIGITS


@pytest.mark.parametrize("label", ["1.2.3.4.5", "Card 12-34 x5", "a1b2c3d4e5"])
def test_card_number_in_label_counts_every_digit(label: str) -> None:
    with pytest.raises(domain.InvalidCard):
        domain.parse_label(label)


@pytest.mark.parametrize("label", ["Card 2", "Salary card", "Trip 2026", "x 12 y 34"])
def test_card_number_in_label_leaves_short_numbers_alone(label: str) -> None:
    assert domain.parse_label(label) == label


@given(sep=st.characters(exclude_categories=("L", "N", "Cs")))
def test_card_number_in_label_property_any_separator(sep: str) -> None:
    with pytest.raises(domain.InvalidCard):
        domain.parse_label(grouped(CARD, sep))


@pytest.mark.parametrize("sep", SEPARATORS)
def test_card_number_in_logs_is_masked_whatever_the_separator(sep: str) -> None:
    masked = mask_card_numbers(f"label={grouped(CARD, sep)} saved")
    assert CARD[4:12] not in masked.replace(sep, "")
    assert masked.startswith("label=4242 ")
    assert masked.endswith("4242 saved")


@given(sep=st.characters(exclude_categories=("L", "N", "Cs")))
def test_card_number_in_logs_property_any_separator(sep: str) -> None:
    masked = mask_card_numbers(grouped(CARD, sep))
    assert "4242" + sep + "4242" + sep + "4242" not in masked


def test_card_number_in_logs_keeps_ordinary_numbers() -> None:
    assert mask_card_numbers("order 2026.12.01 at 10:40") == "order 2026.12.01 at 10:40"
