"""Amounts as a reader of the page's language expects them (docs/glossary.md, "Amounts"):
CLDR's currency spacing, the symbol the reader knows, no minor units on a whole Russian
price, no-break spaces so an amount never breaks across lines."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhifu.kernel.currencies import DEFAULT_CURRENCIES, exponent
from zhifu.kernel.money import Money
from zhifu.kernel.money_format import NBSP, symbol

S = NBSP
# (currency, minor units) -> (English, Russian); 3 900.50 (or 3 900 where there are no
# minor units), and a whole 890.
EXPECTED: dict[tuple[str, int], tuple[str, str]] = {
    ("CNY", 390050): ("CN¥3,900.50", f"3{S}900,50{S}¥"),
    ("CNY", 4900): ("CN¥49.00", f"49{S}¥"),
    ("USD", 390050): ("$3,900.50", f"3{S}900,50{S}$"),
    ("USD", 89000): ("$890.00", f"890{S}$"),
    ("EUR", 390050): ("€3,900.50", f"3{S}900,50{S}€"),
    ("EUR", 89000): ("€890.00", f"890{S}€"),
    ("RUB", 390050): (f"RUB{S}3,900.50", f"3{S}900,50{S}₽"),
    ("RUB", 89000): (f"RUB{S}890.00", f"890{S}₽"),
    ("GBP", 390050): ("£3,900.50", f"3{S}900,50{S}£"),
    ("GBP", 89000): ("£890.00", f"890{S}£"),
    ("JPY", 3900): ("¥3,900", f"3{S}900{S}JP¥"),
    ("JPY", 49): ("¥49", f"49{S}JP¥"),
    ("KRW", 3900): ("₩3,900", f"3{S}900{S}₩"),
    ("KRW", 890): ("₩890", f"890{S}₩"),
    ("BRL", 390050): ("R$3,900.50", f"3{S}900,50{S}R$"),
    ("BRL", 89000): ("R$890.00", f"890{S}R$"),
    ("UAH", 390050): (f"UAH{S}3,900.50", f"3{S}900,50{S}₴"),
    ("UAH", 89000): (f"UAH{S}890.00", f"890{S}₴"),
    ("KZT", 390050): (f"KZT{S}3,900.50", f"3{S}900,50{S}₸"),
    ("KZT", 390000): (f"KZT{S}3,900.00", f"3{S}900{S}₸"),
    ("PLN", 390050): (f"PLN{S}3,900.50", f"3{S}900,50{S}zł"),
    ("PLN", 89000): (f"PLN{S}890.00", f"890{S}zł"),
    ("TRY", 390050): (f"TRY{S}3,900.50", f"3{S}900,50{S}₺"),
    ("TRY", 89000): (f"TRY{S}890.00", f"890{S}₺"),
    ("AUD", 390050): ("A$3,900.50", f"3{S}900,50{S}A$"),
    ("AUD", 89000): ("A$890.00", f"890{S}A$"),
    ("CAD", 390050): ("CA$3,900.50", f"3{S}900,50{S}CA$"),
    ("CAD", 89000): ("CA$890.00", f"890{S}CA$"),
}


def test_the_table_covers_the_fourteen_default_currencies() -> None:
    assert {currency for currency, _ in EXPECTED} == set(DEFAULT_CURRENCIES)


@pytest.mark.parametrize(("currency", "minor"), list(EXPECTED), ids=lambda v: str(v))
def test_english_and_russian_amounts(currency: str, minor: int) -> None:
    english, russian = EXPECTED[(currency, minor)]
    assert Money(minor, currency).format("en") == english
    assert Money(minor, currency).format("ru") == russian


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money(-4900, "RUB"), "en", f"-RUB{S}49.00"),
        (Money(-4900, "RUB"), "ru", f"-49{S}₽"),
        (Money(-5, "EUR"), "en", "-€0.05"),
        (Money(1234567, "KWD"), "en", f"KWD{S}1,234.567"),
        (Money(1234000, "KWD"), "ru", f"1{S}234{S}KWD"),
        (Money(1, "RUB"), "ru", f"0,01{S}₽"),
        (Money(0, "RUB"), "ru", f"0{S}₽"),
        (Money(89000, "RUB"), "ru-RU", f"890{S}₽"),
        (Money(89000, "RUB"), "xx-YY", f"RUB{S}890.00"),  # unknown: English
    ],
)
def test_signs_exponents_and_odd_locales(money: Money, locale: str, expected: str) -> None:
    assert money.format(locale) == expected


def test_each_language_gives_each_currency_its_own_symbol() -> None:
    """«¥» is the yuan in Russian, so the yen cannot be «¥» too."""
    for language in ("en", "ru"):
        symbols = [symbol(code, language) for code in DEFAULT_CURRENCIES]
        assert len(set(symbols)) == len(symbols), language


@given(
    st.sampled_from(DEFAULT_CURRENCIES),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["en", "ru"]),
)
def test_the_digits_shown_are_exactly_the_amount(currency: str, minor: int, locale: str) -> None:
    """No float anywhere: the digits read back give the minor units, and no ordinary space
    lets a line break inside the amount."""
    text = Money(minor, currency).format(locale)
    assert " " not in text
    digits = int(re.sub(r"\D", "", text) or "0")
    if locale == "en" or minor % 10 ** exponent(currency):
        assert digits == abs(minor)
    else:  # a whole Russian amount drops its zero minor units
        assert digits * 10 ** exponent(currency) == abs(minor)
    assert text.startswith("-") == (minor < 0)
