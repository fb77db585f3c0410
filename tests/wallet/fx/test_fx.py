"""Rates, quotes and conversions as a buyer or an operator sees them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import translation

from zhifu.fx import domain as fx_domain
from zhifu.fx import errors as fx_errors
from zhifu.fx import services as fx
from zhifu.fx.models import Quote, Rate
from zhifu.kernel.money import Money
from zhifu.ledger import domain, errors, services
from zhifu.ledger.domain import BALANCE_OFF, BALANCE_ON

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
SETTINGS = fx.Settings(
    spread_bps=50, quote_ttl=dt.timedelta(seconds=60), max_rate_age=dt.timedelta(hours=96)
)
BUYER = "user:fx"


@pytest.fixture
def clock() -> object:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _rates(*rows: tuple[str, str, str], as_of: dt.datetime = NOW) -> None:
    fx.import_rates(
        [fx_domain.Rate(base, quote, Decimal(value), as_of, "test") for base, quote, value in rows]
    )


def test_the_shipped_sample_covers_every_default_currency(clock: object) -> None:
    result = fx.import_sample()
    assert result.read == 13  # every default currency except EUR itself
    from zhifu.kernel.currencies import DEFAULT_CURRENCIES

    for currency in DEFAULT_CURRENCIES:
        if currency != "EUR":
            assert fx.current_rate("EUR", currency, settings=SETTINGS).source == "sample"


def test_importing_the_same_file_twice_stores_each_rate_once(tmp_path: Path) -> None:
    path = tmp_path / "rates.csv"
    path.write_text("date,currency,rate\n2026-11-25,USD,1.1561\n2026-11-25,JPY,181.02\n")
    assert fx.import_file(path).created == 2
    assert fx.import_file(path).created == 0
    assert Rate.objects.count() == 2


def test_a_quote_honours_its_rate_even_after_new_rates_arrive(clock: object) -> None:
    _rates(("EUR", "USD", "1.1000"))
    services.top_up(BALANCE_ON, BUYER, Money(10_000, "EUR"), "fx-topup")
    quote = fx.quote(BUYER, Money(10_000, "EUR"), "USD", settings=SETTINGS)
    # 100.00 EUR x 1.1 x (1 - 0.5 %) = 109.45 USD
    assert quote.receive == Money(10_945, "USD")
    _rates(("EUR", "USD", "1.3000"), as_of=NOW + dt.timedelta(seconds=1))

    fx.convert(BALANCE_ON, BUYER, quote.id, "fx-1")

    assert services.balance(domain.buyer(BUYER, "USD")) == Money(10_945, "USD")
    assert services.balance(domain.buyer(BUYER, "EUR")) == Money(0, "EUR")


def test_the_conversion_balances_per_currency_through_the_fx_position(clock: object) -> None:
    _rates(("EUR", "JPY", "181.02"))
    services.top_up(BALANCE_ON, BUYER, Money(1_234, "EUR"), "fx-topup")
    quote = fx.quote(BUYER, Money(1_234, "EUR"), "JPY", settings=SETTINGS)
    posted = fx.convert(BALANCE_ON, BUYER, quote.id, "fx-2")

    sums: dict[str, int] = {}
    for _, amount, currency in posted.postings:
        sums[currency] = sums.get(currency, 0) + amount
    assert sums == {"EUR": 0, "JPY": 0}
    assert services.balance(domain.fx_position("EUR")) == Money(1_234, "EUR")
    assert services.balance(domain.fx_position("JPY")) == -quote.receive
    # 12.34 x 181.02 = 2233.7868 at mid; x 0.995 = 2222.6178... -> 2223 JPY (half-even)
    assert quote.receive == Money(2_223, "JPY")
    assert quote.house_gain == Money(2_234 - 2_223, "JPY")
    assert services.check() == []


def test_cross_rates_go_through_eur_when_no_direct_rate_exists(clock: object) -> None:
    _rates(("EUR", "USD", "1.25"), ("EUR", "GBP", "0.80"))
    rate = fx.current_rate("USD", "GBP", settings=SETTINGS)
    assert rate.rate == Decimal("0.640000000000")


def test_a_direct_rate_wins_over_the_cross_rate(clock: object) -> None:
    _rates(("EUR", "USD", "1.25"), ("EUR", "GBP", "0.80"), ("USD", "GBP", "0.70"))
    assert fx.current_rate("USD", "GBP", settings=SETTINGS).rate == Decimal("0.70")


def test_stale_rates_are_refused_with_a_clear_message(clock: object) -> None:
    _rates(("EUR", "USD", "1.1"), as_of=NOW - dt.timedelta(hours=97))
    with pytest.raises(fx_errors.RateStale) as caught:
        fx.quote(BUYER, Money(100, "EUR"), "USD", settings=SETTINGS)
    assert caught.value.code == "rate_stale"
    with translation.override("en"):
        assert caught.value.message == (
            "The EUR to USD exchange rate of 2026-11-22 09:00 UTC is out of date, so "
            "conversions are paused until fresh rates arrive. Please try again later."
        )
    with translation.override("ru"):
        assert "устарел" in str(caught.value.message)


def test_a_cross_rate_is_as_old_as_its_older_leg(clock: object) -> None:
    _rates(("EUR", "USD", "1.25"))
    _rates(("EUR", "GBP", "0.8"), as_of=NOW - dt.timedelta(days=5))
    with pytest.raises(fx_errors.RateStale):
        fx.current_rate("USD", "GBP", settings=SETTINGS)


def test_a_pair_without_any_rate_is_refused(clock: object) -> None:
    with pytest.raises(fx_errors.RateUnavailable):
        fx.quote(BUYER, Money(100, "EUR"), "USD", settings=SETTINGS)


def test_an_expired_quote_is_refused(clock: time_machine.Traveller) -> None:
    _rates(("EUR", "USD", "1.1"))
    services.top_up(BALANCE_ON, BUYER, Money(500, "EUR"), "fx-topup")
    quote = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    clock.shift(dt.timedelta(seconds=60))
    with pytest.raises(fx_errors.QuoteExpired):
        fx.convert(BALANCE_ON, BUYER, quote.id, "fx-late")
    assert services.balance(domain.buyer(BUYER, "EUR")) == Money(500, "EUR")


def test_a_quote_is_used_once(clock: object) -> None:
    _rates(("EUR", "USD", "1.1"))
    services.top_up(BALANCE_ON, BUYER, Money(1_000, "EUR"), "fx-topup")
    quote = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    fx.convert(BALANCE_ON, BUYER, quote.id, "fx-once")
    with pytest.raises(fx_errors.QuoteUsed):
        fx.convert(BALANCE_ON, BUYER, quote.id, "fx-twice")


def test_another_buyers_quote_cannot_be_used(clock: object) -> None:
    _rates(("EUR", "USD", "1.1"))
    quote = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    with pytest.raises(fx_errors.QuoteNotFound):
        fx.convert(BALANCE_ON, "user:other", quote.id, "fx-steal")


def test_converting_more_than_the_balance_leaves_the_quote_usable(clock: object) -> None:
    _rates(("EUR", "USD", "1.1"))
    quote = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    with pytest.raises(errors.InsufficientFunds):
        fx.convert(BALANCE_ON, BUYER, quote.id, "fx-poor")
    assert Quote.objects.get(public_id=quote.id).used_by is None


def test_converting_is_refused_when_the_balance_is_switched_off(clock: object) -> None:
    _rates(("EUR", "USD", "1.1"))
    quote = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    with pytest.raises(errors.BalanceDisabled):
        fx.convert(BALANCE_OFF, BUYER, quote.id, "fx-off")


def test_an_amount_too_small_to_convert_is_refused(clock: object) -> None:
    _rates(("EUR", "KRW", "1698.45"))
    with pytest.raises(fx_errors.AmountTooSmall):
        fx.quote(BUYER, Money(1, "KRW"), "EUR", settings=SETTINGS)


def test_settings_come_from_the_environment() -> None:
    current = fx.Settings.current()
    assert current.spread_bps == 50
    assert current.quote_ttl == dt.timedelta(seconds=60)
    assert current.max_rate_age == dt.timedelta(hours=96)


def test_the_demo_seed_imports_the_sample_once_while_it_is_fresh(clock: object) -> None:
    from zhifu.fx.seed import seed

    assert seed() != []
    assert seed() == []
    assert fx.current_rate("USD", "CNY", settings=SETTINGS).source == "cross:sample"


def test_exchanging_a_currency_for_itself_is_refused(clock: object) -> None:
    with pytest.raises(fx_errors.SameCurrency):
        fx.quote(BUYER, Money(100, "EUR"), "EUR", settings=SETTINGS)


def test_a_currency_the_site_does_not_enable_cannot_be_quoted(clock: object) -> None:
    _rates(("EUR", "CHF", "0.93"))
    with pytest.raises(fx_errors.RateUnavailable) as caught:
        fx.quote(BUYER, Money(100, "EUR"), "CHF", settings=SETTINGS)
    with translation.override("en"):
        assert caught.value.message == "No exchange rate from EUR to CHF is available."


def test_the_worker_purges_unused_quotes_a_day_after_they_expired(
    clock: time_machine.Traveller,
) -> None:
    from zhifu.fx.commands import worker_jobs

    [(name, every, purge)] = worker_jobs()  # what `zhifu worker` runs, hourly
    assert (name, every) == ("fx.purge_quotes", 3600.0)
    _rates(("EUR", "USD", "1.1"))
    services.top_up(BALANCE_ON, BUYER, Money(1_000, "EUR"), "fx-topup")
    used = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    fx.convert(BALANCE_ON, BUYER, used.id, "fx-kept")
    unused = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    clock.shift(fx.QUOTE_GRACE)  # expired, but within the grace: still says "expired"
    assert purge() == 0
    assert Quote.objects.count() == 2
    with pytest.raises(fx_errors.QuoteExpired):
        fx.convert(BALANCE_ON, BUYER, unused.id, "fx-late")
    clock.shift(dt.timedelta(seconds=61))
    fresh = fx.quote(BUYER, Money(500, "EUR"), "USD", settings=SETTINGS)
    assert purge() == 1
    assert set(Quote.objects.values_list("public_id", flat=True)) == {used.id, fresh.id}
    assert fx.purge_expired_quotes() == 0
