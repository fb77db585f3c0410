"""Property tests: the card parsers never crash, whatever a buyer types (SEC-35)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from tests.harness import profiles
from zhifu.vault import domain

TODAY = dt.date(2026, 11, 26)


@settings(max_examples=profiles.examples(2000))
@given(st.text(max_size=40))
def test_parse_number_returns_a_card_or_a_typed_error(raw: str) -> None:
    try:
        card = domain.parse_number(raw)
    except domain.InvalidCard:
        return
    assert card.digits.isdigit()
    assert len(card.digits) in domain.RULES[card.scheme].lengths


@settings(max_examples=profiles.examples(2000))
@given(st.text(alphabet="0123456789 -", max_size=25))
def test_digit_strings_never_crash_and_luhn_failures_are_refused(raw: str) -> None:
    try:
        card = domain.parse_number(raw)
    except domain.InvalidCard:
        return
    assert luhn.is_valid(card.digits) or card.scheme is domain.Scheme.UNIONPAY


@settings(max_examples=profiles.examples(1000))
@given(st.text(max_size=12))
def test_parse_expiry_returns_an_expiry_or_a_typed_error(raw: str) -> None:
    try:
        expiry = domain.parse_expiry(raw, TODAY)
    except domain.InvalidCard:
        return
    assert 1 <= expiry.month <= 12
    assert (expiry.year, expiry.month) >= (TODAY.year, TODAY.month)


@settings(max_examples=profiles.examples(1000))
@given(st.text(max_size=40))
def test_holder_names_never_hold_digits(raw: str) -> None:
    try:
        name = domain.parse_holder_name(raw)
    except domain.InvalidCard:
        return
    assert not any(ch.isdigit() for ch in name)
    assert 2 <= len(name) <= 26
