from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.harness import profiles
from zhifu.kernel import currencies
from zhifu.kernel.currencies import DEFAULT_CURRENCIES, UnknownCurrency
from zhifu.kernel.money import CurrencyMismatch, Money, MoneyError

codes = st.sampled_from(DEFAULT_CURRENCIES)
any_exponent_codes = st.sampled_from(["JPY", "USD", "KWD", "EUR", "KRW", "BHD"])
minor = st.integers(min_value=-(10**15), max_value=10**15)


@given(code=any_exponent_codes, value=minor)
def test_parse_round_trips_the_plain_amount_string(code: str, value: int) -> None:
    money = Money(value, code)
    assert Money.parse(money.amount_str(), code) == money


@given(code=any_exponent_codes, value=minor)
def test_amount_string_has_exactly_the_currency_decimals(code: str, value: int) -> None:
    text = Money(value, code).amount_str()
    exp = currencies.exponent(code)
    assert ("." in text) == (exp > 0)
    if exp:
        assert len(text.split(".")[1]) == exp


@given(code=codes, value=st.integers(min_value=0, max_value=10**12))
def test_more_decimals_than_the_currency_allows_are_refused(code: str, value: int) -> None:
    exp = currencies.exponent(code)
    text = f"{Decimal(value).scaleb(-exp):.{exp}f}"
    text = (text + "1") if exp else (text + ".5")
    with pytest.raises(MoneyError, match="decimal places"):
        Money.parse(text, code)


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_refused_everywhere(value: float) -> None:
    with pytest.raises(MoneyError):
        Money(value, "USD")  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money.parse(value, "USD")  # type: ignore[arg-type]


def test_bool_is_not_an_amount() -> None:
    with pytest.raises(MoneyError):
        Money(True, "USD")


@given(
    code=codes,
    value=minor,
    ratios=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(
        lambda r: sum(r) > 0
    ),
)
@settings(max_examples=profiles.examples(500))
def test_allocation_never_creates_or_loses_a_minor_unit(
    code: str, value: int, ratios: list[int]
) -> None:
    parts = Money(value, code).allocate(ratios)
    assert sum(p.minor for p in parts) == value
    assert all(p.currency == code for p in parts)
    for part, ratio in zip(parts, ratios, strict=True):
        exact = Decimal(value) * ratio / sum(ratios)
        assert abs(Decimal(part.minor) - exact) < 1  # each part within one minor unit
        if ratio == 0:
            assert part.minor == 0


def test_split_gives_the_leftover_cents_to_the_first_parts() -> None:
    assert [m.minor for m in Money(100, "USD").split(3)] == [34, 33, 33]
    assert [m.minor for m in Money(-100, "USD").split(3)] == [-34, -33, -33]


@given(a=minor, b=minor, code=codes)
def test_addition_and_subtraction_are_exact(a: int, b: int, code: str) -> None:
    assert (Money(a, code) + Money(b, code)).minor == a + b
    assert (Money(a, code) - Money(b, code)) + Money(b, code) == Money(a, code)


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(CurrencyMismatch):
        assert Money(1, "USD") < Money(2, "EUR")


def test_multiplying_by_a_fraction_is_refused() -> None:
    with pytest.raises(MoneyError):
        Money(100, "USD") * 1.5  # type: ignore[operator]
    assert Money(100, "USD") * 3 == Money(300, "USD")


@pytest.mark.parametrize("code", ["usd", "XXX1", "ABC", "", "CLF"])
def test_unknown_or_unsupported_currencies_are_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        Money(1, code)


@pytest.mark.parametrize("text", ["abc", "1e", "NaN", "Infinity", ""])
def test_garbage_amounts_get_a_clear_error(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, "USD")


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money(123456, "USD"), "en", "$1,234.56"),
        (Money(123456, "JPY"), "en", "¥123,456"),
        (Money(1234567, "KWD"), "en", "KWD\xa01,234.567"),  # CLDR currency spacing
        (Money(123456, "RUB"), "ru", "1\xa0234,56\xa0₽"),
        (Money(-5, "EUR"), "en", "-€0.05"),
    ],
)
def test_format_follows_the_locale_and_the_iso_exponent(
    money: Money, locale: str, expected: str
) -> None:
    assert money.format(locale) == expected


def test_format_falls_back_to_english_for_an_unknown_locale() -> None:
    assert Money(100, "USD").format("xx-YY") == "$1.00"


@pytest.mark.parametrize("code", DEFAULT_CURRENCIES)
def test_ten_thousand_amounts_per_currency_round_trip_and_overlong_ones_fail(code: str) -> None:
    """docs/security.md SEC-05: 100% correct over 10,000 cases per currency."""
    import random

    rng = random.Random(code)  # fixed seed per currency: reproducible
    exp = currencies.exponent(code)
    for _ in range(10_000):
        value = rng.randint(-(10**14), 10**14)
        text = Money(value, code).amount_str()
        assert Money.parse(text, code).minor == value
        overlong = f"{text}1" if exp else f"{text}.1"
        with pytest.raises(MoneyError):
            Money.parse(overlong, code)
