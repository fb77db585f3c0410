"""Rates, rounding and rate files without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhifu.fx import domain
from zhifu.kernel.currencies import DEFAULT_CURRENCIES
from zhifu.kernel.money import Money

SAMPLE = Path(__file__).resolve().parents[3] / "src/zhifu/fx/data/eurofxref-sample.xml"
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)


def rate(base: str, quote: str, value: str, as_of: dt.datetime = NOW) -> domain.Rate:
    return domain.Rate(base, quote, Decimal(value), as_of, "test")


def table(*rates: domain.Rate) -> domain.RateLookup:
    by_pair = {(r.base, r.quote): r for r in rates}
    return lambda base, quote: by_pair.get((base, quote))


def test_the_sample_file_quotes_every_default_currency_against_eur() -> None:
    rates = domain.parse_ecb_xml(SAMPLE.read_bytes())
    assert {r.quote for r in rates} == set(DEFAULT_CURRENCIES) - {"EUR"}
    assert all(r.base == "EUR" and r.source == "ecb" for r in rates)
    assert rates[0].as_of == dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)


def test_ecb_files_declaring_entities_are_refused() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(domain.RateFileError, match="DTD"):
        domain.parse_ecb_xml(bomb)


def test_a_file_that_is_not_an_ecb_file_is_refused() -> None:
    with pytest.raises(domain.RateFileError, match="ECB"):
        domain.parse_ecb_xml(b"<html></html>")


def test_csv_with_and_without_a_base_column() -> None:
    plain = domain.parse_csv("date,currency,rate\n2026-11-25,USD,1.15\n")
    assert plain[0].pair == "EUR/USD"
    based = domain.parse_csv(
        "# comment\ndate,base,quote,rate\n2026-11-25T08:00:00+00:00,USD,CNY,7.1\n"
    )
    assert based[0].pair == "USD/CNY"
    assert based[0].as_of == dt.datetime(2026, 11, 25, 8, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("date,currency,rate\n2026-11-25,ABC,1\n", "line 2: 'ABC' is not a currency"),
        ("date,currency,rate\n2026-11-25,USD,-1\n", "line 2: a rate must be a positive number"),
        ("date,currency,rate\nyesterday,USD,1\n", "line 2: 'yesterday' is not a date"),
        ("day,currency,rate\n", "the header needs"),
        ("date,currency,rate\n", "no rates"),
    ],
)
def test_bad_csv_lines_are_named(body: str, message: str) -> None:
    with pytest.raises(domain.RateFileError, match=message):
        domain.parse_csv(body)


def test_the_file_kind_is_told_by_its_first_character() -> None:
    assert domain.parse_rate_file(SAMPLE.read_bytes())[0].source == "ecb"
    assert domain.parse_rate_file(b"date,currency,rate\n2026-11-25,USD,1\n")[0].source == "csv"


def test_cross_rate_through_eur_is_as_old_as_its_older_leg() -> None:
    older = NOW - dt.timedelta(days=1)
    crossed = domain.find_rate(
        table(rate("EUR", "USD", "1.25"), rate("EUR", "GBP", "0.8", older)), "USD", "GBP"
    )
    assert crossed.rate == Decimal("0.64")
    assert crossed.as_of == older


def test_an_inverse_rate_is_used_when_only_the_other_direction_exists() -> None:
    found = domain.find_rate(table(rate("EUR", "USD", "1.25")), "USD", "EUR")
    assert found.rate == Decimal("0.8")


def test_a_missing_pair_is_reported() -> None:
    with pytest.raises(domain.NoRate):
        domain.find_rate(table(rate("EUR", "USD", "1.25")), "USD", "GBP")


def test_stale_rates_are_refused() -> None:
    old = rate("EUR", "USD", "1.1", NOW - dt.timedelta(hours=5))
    domain.check_fresh(old, NOW, dt.timedelta(hours=5))
    with pytest.raises(domain.StaleRate):
        domain.check_fresh(old, NOW, dt.timedelta(hours=4, minutes=59))


@pytest.mark.parametrize(
    ("minor", "value", "expected"),
    [
        (1, "0.5", 0),  # 0.5 -> 0 (half to even)
        (3, "0.5", 2),  # 1.5 -> 2
        (5, "0.5", 2),  # 2.5 -> 2
        (7, "0.5", 4),  # 3.5 -> 4
    ],
)
def test_conversion_rounds_half_to_even_in_minor_units(
    minor: int, value: str, expected: int
) -> None:
    assert domain.convert(Money(minor, "USD"), Decimal(value), "EUR") == Money(expected, "EUR")


def test_conversion_respects_each_currencys_exponent() -> None:
    # 12.34 EUR x 181.02 = 2233.7868 JPY -> 2234; 1000 JPY x 0.0055 = 5.50 EUR
    assert domain.convert(Money(1234, "EUR"), Decimal("181.02"), "JPY") == Money(2234, "JPY")
    assert domain.convert(Money(1000, "JPY"), Decimal("0.0055"), "EUR") == Money(550, "EUR")


@given(st.integers(1, 10**12), st.integers(0, 500))
def test_the_house_never_loses_more_than_rounding_on_a_quote(minor: int, bps: int) -> None:
    mid = rate("EUR", "JPY", "181.02")
    try:
        terms = domain.make_quote(
            Money(minor, "EUR"),
            "JPY",
            mid,
            spread_bps=bps,
            now=NOW,
            ttl=dt.timedelta(seconds=60),
            max_age=dt.timedelta(days=1),
        )
    except domain.FxRuleError:
        customer_rate = domain.apply_spread(mid.rate, bps)
        assert domain.convert(Money(minor, "EUR"), customer_rate, "JPY").minor == 0
        return
    assert terms.house_gain.minor >= -1  # at most one minor unit of rounding against us
    assert terms.receive.minor > 0
    assert terms.expires_at == NOW + dt.timedelta(seconds=60)


def test_rates_round_trip_through_their_stored_integer() -> None:
    value = Decimal("1698.450000000001")
    assert domain.from_scaled(domain.to_scaled(value)) == value


# --- a quote for an exact amount received ---------------------------------------------------

RATES = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("20000"), places=6, allow_nan=False
)


@given(
    st.sampled_from(DEFAULT_CURRENCIES),
    st.sampled_from(DEFAULT_CURRENCIES),
    st.integers(1, 10**12),
    RATES,
    st.integers(0, 500),
)
def test_a_quote_to_receive_sells_the_least_that_covers_the_amount(
    source: str, target: str, minor: int, mid_value: Decimal, bps: int
) -> None:
    if source == target:
        return
    mid = rate(source, target, str(mid_value))
    receive = Money(minor, target)
    terms = domain.make_quote_to_receive(
        receive,
        source,
        mid,
        spread_bps=bps,
        now=NOW,
        ttl=dt.timedelta(seconds=60),
        max_age=dt.timedelta(days=1),
    )
    assert terms.receive == receive  # exactly what the payment needs
    assert terms.sell.currency == source
    assert terms.sell.minor > 0
    shift = Decimal(10) ** (receive.exponent - terms.sell.exponent)

    def bought(sell_minor: int) -> Decimal:  # exact, unrounded
        return Decimal(sell_minor) * terms.rate * shift

    assert bought(terms.sell.minor) >= minor  # covers it at the customer's rate
    assert bought(terms.sell.minor - 1) < minor  # and one minor unit less would not
    assert terms.house_gain.minor >= 0  # rounding never goes against the house
    assert terms.expires_at == NOW + dt.timedelta(seconds=60)


def test_a_quote_to_receive_rounds_up_in_the_sellers_minor_unit() -> None:
    # 1,780.00 RUB at 78.31 RUB per USD (no spread) = 22.7301... USD: 22.74 USD, rounded up.
    terms = domain.make_quote_to_receive(
        Money(178000, "RUB"),
        "USD",
        rate("USD", "RUB", "78.31"),
        spread_bps=0,
        now=NOW,
        ttl=dt.timedelta(seconds=60),
        max_age=dt.timedelta(days=1),
    )
    assert terms.sell == Money(2274, "USD")  # half-even would give 22.73: 1.3 kopecks short
    # JPY has no minor unit: 1.00 EUR at 0.0055 EUR per JPY = 181.8 JPY -> 182 JPY.
    assert domain.sell_for(Money(100, "EUR"), Decimal("0.0055"), "JPY") == Money(182, "JPY")


def test_a_quote_to_receive_checks_its_inputs() -> None:
    mid = rate("USD", "RUB", "78.31")
    args: dict[str, Any] = {
        "spread_bps": 50,
        "now": NOW,
        "ttl": dt.timedelta(seconds=60),
        "max_age": dt.timedelta(days=1),
    }
    with pytest.raises(domain.FxRuleError, match="positive"):
        domain.make_quote_to_receive(Money(0, "RUB"), "USD", mid, **args)
    with pytest.raises(domain.FxRuleError, match="match"):
        domain.make_quote_to_receive(Money(100, "EUR"), "USD", mid, **args)
    old = rate("USD", "RUB", "78.31", NOW - dt.timedelta(days=2))
    with pytest.raises(domain.StaleRate):
        domain.make_quote_to_receive(Money(100, "RUB"), "USD", old, **args)
