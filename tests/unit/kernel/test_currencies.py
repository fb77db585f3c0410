from __future__ import annotations

import pytest
from babel.numbers import get_currency_precision

from zhifu.kernel import currencies
from zhifu.kernel.currencies import DEFAULT_CURRENCIES, UnknownCurrency, parse_currency_list


def test_the_default_set_is_the_fourteen_currencies_of_the_configuration_docs() -> None:
    assert len(DEFAULT_CURRENCIES) == 14
    fourteen = {"CNY", "USD", "EUR", "RUB", "GBP", "JPY", "KRW"}
    fourteen |= {"BRL", "UAH", "KZT", "PLN", "TRY", "AUD", "CAD"}
    assert set(DEFAULT_CURRENCIES) == fourteen


@pytest.mark.parametrize("code", DEFAULT_CURRENCIES)
def test_iso_exponents_agree_with_babel_for_the_default_set(code: str) -> None:
    assert currencies.exponent(code) == get_currency_precision(code)


@pytest.mark.parametrize(("code", "exp"), [("JPY", 0), ("USD", 2), ("KWD", 3), ("BHD", 3)])
def test_exponents_span_zero_to_three(code: str, exp: int) -> None:
    assert currencies.exponent(code) == exp


def test_configured_lists_are_validated_and_deduplicated() -> None:
    assert parse_currency_list(" usd, EUR ,usd") == ("USD", "EUR")
    with pytest.raises(UnknownCurrency):
        parse_currency_list("USD,XYZ")
    with pytest.raises(ValueError, match="at least one"):
        parse_currency_list(" , ")
