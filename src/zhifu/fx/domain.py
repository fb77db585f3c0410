"""Exchange rates, quotes and the rounding policy, free of Django.

Rates
-----
A rate says how many units of ``quote`` one unit of ``base`` buys ("1 EUR = 1.0921 USD").
Rates are exact decimals (never floats), stored as integers scaled by 10**12
(:data:`RATE_PLACES` decimal places). Where no direct rate exists the rate is crossed
through EUR, the ECB's base: ``USD->CNY = (EUR->CNY) / (EUR->USD)``; a crossed rate is as
old as its older leg.

Policy
------
* A customer converting ``sell`` gets ``sell x mid x (1 - spread)`` in the target
  currency, rounded **half-even to the target's minor unit** (banker's rounding: no bias
  either way over many conversions).
* The difference between the amount at the mid rate and what the customer got is the
  house's FX gain (or, if rounding ever goes against the house, its loss); the ledger
  posts both legs against the FX position account of each currency, so every entry
  balances per currency.
* A customer who must *receive* an exact amount (a payment in another currency) sells
  ``receive / (mid x (1 - spread))`` in the source currency, rounded **up** to its minor
  unit: the smallest amount that buys at least ``receive``, so rounding never goes against
  the house (:func:`make_quote_to_receive`).
* A quote fixes the rate, the spread and the resulting amounts until it expires; the
  conversion then honours those amounts exactly.
* A rate older than the configured maximum age is refused (:class:`StaleRate`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation, localcontext

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from zhifu.kernel import currencies
from zhifu.kernel.money import Money

EUR = "EUR"
RATE_PLACES = 12
RATE_SCALE = 10**RATE_PLACES
_QUANTUM = Decimal(1).scaleb(-RATE_PLACES)
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN)
MAX_FILE_BYTES = 5_000_000

# ECB reference rates are published at about 16:00 CET (15:00 UTC) on TARGET business days.
ECB_PUBLICATION_UTC = dt.time(15, 0, tzinfo=dt.UTC)
ECB_SOURCE = "ecb"
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


class FxRuleError(ValueError):
    """A rate, quote or file that breaks the rules (English, for logs and operators)."""


class NoRate(FxRuleError):
    def __init__(self, base: str, quote: str) -> None:
        super().__init__(f"no rate from {base} to {quote}")
        self.base, self.quote = base, quote


class StaleRate(FxRuleError):
    def __init__(self, base: str, quote: str, as_of: dt.datetime, max_age: dt.timedelta) -> None:
        super().__init__(f"the {base}->{quote} rate of {as_of.isoformat()} is older than {max_age}")
        self.base, self.quote, self.as_of, self.max_age = base, quote, as_of, max_age


class RateFileError(FxRuleError):
    """A rate file that cannot be read; the message names the line or element."""


# --- rates ------------------------------------------------------------------------------


def quantize_rate(value: Decimal) -> Decimal:
    with localcontext(_CONTEXT):
        return value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)


def to_scaled(rate: Decimal) -> int:
    return int(quantize_rate(rate).scaleb(RATE_PLACES))


def from_scaled(scaled: int) -> Decimal:
    return Decimal(scaled).scaleb(-RATE_PLACES)


@dataclass(frozen=True, slots=True)
class Rate:
    base: str
    quote: str
    rate: Decimal
    as_of: dt.datetime
    source: str

    def __post_init__(self) -> None:
        currencies.validate(self.base)
        currencies.validate(self.quote)
        if self.base == self.quote:
            raise FxRuleError("a rate needs two different currencies")
        if not isinstance(self.rate, Decimal) or not self.rate.is_finite() or self.rate <= 0:
            raise FxRuleError(f"{self.base}->{self.quote}: a rate is a positive decimal")
        if to_scaled(self.rate) <= 0:
            raise FxRuleError(f"{self.base}->{self.quote}: rate below {_QUANTUM}")
        if self.as_of.tzinfo is None:
            raise FxRuleError("rate times are timezone-aware")
        if not self.source or len(self.source) > 40:
            raise FxRuleError("a rate names its source (1-40 characters)")

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"

    def inverted(self) -> Rate:
        with localcontext(_CONTEXT):
            value = quantize_rate(Decimal(1) / self.rate)
        return Rate(self.quote, self.base, value, self.as_of, self.source)


RateLookup = Callable[[str, str], Rate | None]


def find_rate(lookup: RateLookup, base: str, quote: str) -> Rate:
    """The rate base->quote: direct, inverse of direct, or crossed through EUR.

    `lookup(base, quote)` returns the latest stored rate for exactly that pair, or None.
    """
    if base == quote:
        raise FxRuleError("no conversion needed between a currency and itself")

    def one_way(a: str, b: str) -> Rate | None:
        direct = lookup(a, b)
        if direct is not None:
            return direct
        inverse = lookup(b, a)
        return inverse.inverted() if inverse is not None else None

    found = one_way(base, quote)
    if found is not None:
        return found
    if EUR in (base, quote):
        raise NoRate(base, quote)
    to_base = one_way(EUR, base)
    to_quote = one_way(EUR, quote)
    if to_base is None or to_quote is None:
        raise NoRate(base, quote)
    with localcontext(_CONTEXT):
        value = quantize_rate(to_quote.rate / to_base.rate)
    return Rate(
        base,
        quote,
        value,
        min(to_base.as_of, to_quote.as_of),
        f"cross:{to_base.source}"[:40] if to_base.source == to_quote.source else "cross",
    )


def check_fresh(rate: Rate, now: dt.datetime, max_age: dt.timedelta) -> None:
    if now - rate.as_of > max_age:
        raise StaleRate(rate.base, rate.quote, rate.as_of, max_age)


# --- conversion -------------------------------------------------------------------------


def apply_spread(mid: Decimal, spread_bps: int) -> Decimal:
    """The customer's rate: the mid rate less the spread (in basis points, 1 bp = 0.01%)."""
    if not 0 <= spread_bps < 10_000:
        raise FxRuleError("the spread is 0-9999 basis points")
    with localcontext(_CONTEXT):
        return quantize_rate(mid * (Decimal(10_000 - spread_bps) / Decimal(10_000)))


def convert(amount: Money, rate: Decimal, target: str) -> Money:
    """amount x rate in the target currency, rounded half-even to its minor unit."""
    shift = currencies.exponent(target) - amount.exponent
    with localcontext(_CONTEXT):
        exact = Decimal(amount.minor) * rate * Decimal(10) ** shift
        minor = exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return Money(int(minor), target)


@dataclass(frozen=True, slots=True)
class QuoteTerms:
    """What a quote promises: sell `sell`, receive `receive`, until `expires_at`."""

    sell: Money
    receive: Money
    mid_rate: Decimal
    rate: Decimal
    spread_bps: int
    rates_as_of: dt.datetime
    rate_source: str
    created_at: dt.datetime
    expires_at: dt.datetime

    @property
    def house_gain(self) -> Money:
        """Target-currency gain of the house against the mid rate (negative: a loss)."""
        return convert(self.sell, self.mid_rate, self.receive.currency) - self.receive


def make_quote(
    sell: Money,
    target: str,
    mid: Rate,
    *,
    spread_bps: int,
    now: dt.datetime,
    ttl: dt.timedelta,
    max_age: dt.timedelta,
) -> QuoteTerms:
    if sell.minor <= 0:
        raise FxRuleError("the amount to convert is positive")
    if mid.base != sell.currency or mid.quote != target:
        raise FxRuleError("the rate does not match the currencies")
    rate = _locked_rate(mid, spread_bps, now, max_age)
    receive = convert(sell, rate, target)
    if receive.minor <= 0:
        raise FxRuleError("the amount is too small to convert")
    return _terms(sell, receive, mid, rate, spread_bps, now, ttl)


def _locked_rate(mid: Rate, spread_bps: int, now: dt.datetime, max_age: dt.timedelta) -> Decimal:
    check_fresh(mid, now, max_age)
    return apply_spread(mid.rate, spread_bps)


def _terms(
    sell: Money,
    receive: Money,
    mid: Rate,
    rate: Decimal,
    spread_bps: int,
    now: dt.datetime,
    ttl: dt.timedelta,
) -> QuoteTerms:
    return QuoteTerms(
        sell=sell,
        receive=receive,
        mid_rate=mid.rate,
        rate=rate,
        spread_bps=spread_bps,
        rates_as_of=mid.as_of,
        rate_source=mid.source,
        created_at=now,
        expires_at=now + ttl,
    )


def sell_for(receive: Money, rate: Decimal, source: str) -> Money:
    """The least amount in `source` that buys at least `receive` at `rate` (units of the
    receive currency per one source unit): receive / rate, rounded up to the minor unit."""
    shift = currencies.exponent(source) - receive.exponent
    with localcontext(_CONTEXT):
        exact = Decimal(receive.minor) / rate * Decimal(10) ** shift
        minor = exact.quantize(Decimal(1), rounding=ROUND_CEILING)
    return Money(int(minor), source)


def make_quote_to_receive(
    receive: Money,
    source: str,
    mid: Rate,
    *,
    spread_bps: int,
    now: dt.datetime,
    ttl: dt.timedelta,
    max_age: dt.timedelta,
) -> QuoteTerms:
    """A quote for an exact amount received (a payment in `receive`'s currency paid from a
    balance in `source`): the customer sells the least that covers it at the spread rate;
    what that least amount buys beyond `receive` (under one minor unit of `source`) is the
    house's, never the customer's shortfall."""
    if receive.minor <= 0:
        raise FxRuleError("the amount to receive is positive")
    if mid.base != source or mid.quote != receive.currency:
        raise FxRuleError("the rate does not match the currencies")
    rate = _locked_rate(mid, spread_bps, now, max_age)
    return _terms(sell_for(receive, rate, source), receive, mid, rate, spread_bps, now, ttl)


# --- rate files -------------------------------------------------------------------------


def _decimal(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise RateFileError(f"{where}: {text!r} is not a decimal rate") from None
    if not value.is_finite() or value <= 0:
        raise RateFileError(f"{where}: a rate must be a positive number")
    return value


def _date(text: str, where: str) -> dt.datetime:
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return dt.datetime.combine(day, ECB_PUBLICATION_UTC)
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        raise RateFileError(f"{where}: {text!r} is not a date (YYYY-MM-DD)") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _known(code: str) -> bool:
    try:
        currencies.validate(code)
    except currencies.UnknownCurrency:
        return False
    return True


def parse_ecb_xml(data: bytes, source: str = ECB_SOURCE) -> list[Rate]:
    """Rates from the ECB's eurofxref XML (daily, 90-day or full history files).

    Currencies zhifu cannot count in are skipped. The file comes from an operator, but it
    is still parsed defensively: size-limited, and refused by the parser itself if it
    declares a DTD or entities in whatever encoding (expat would expand internal entities:
    the "billion laughs"); a search of the raw bytes misses a UTF-16 declaration.
    """
    if len(data) > MAX_FILE_BYTES:
        raise RateFileError(f"the file is larger than {MAX_FILE_BYTES} bytes")
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise RateFileError("rate files must not declare a DTD or entities") from None
    except SafeET.ParseError as exc:
        raise RateFileError(f"not valid XML: {exc}") from None
    rates: list[Rate] = []
    days = [cube for cube in root.iter(f"{_ECB_NS}Cube") if cube.get("time")]
    if not days:
        raise RateFileError("no <Cube time='...'> element: not an ECB reference-rate file")
    for day in days:
        stamp = _date(day.get("time", ""), "Cube time")
        for cube in day.findall(f"{_ECB_NS}Cube"):
            code = (cube.get("currency") or "").strip().upper()
            if not _known(code) or code == EUR:
                continue
            value = _decimal(cube.get("rate", ""), f"{day.get('time')} {code}")
            rates.append(Rate(EUR, code, value, stamp, source))
    if not rates:
        raise RateFileError("the file holds no rate for a currency zhifu supports")
    return rates


def parse_csv(text: str, source: str = "csv") -> list[Rate]:
    """Rates from a CSV file with a header row.

    Columns: ``date`` (YYYY-MM-DD, taken as 15:00 UTC, or an ISO timestamp), ``base``
    (optional, default EUR), ``quote`` (or ``currency``) and ``rate`` (units of quote per
    one base); an optional ``source`` column overrides the source name. Lines starting
    with ``#`` are comments.
    """
    if len(text) > MAX_FILE_BYTES:
        raise RateFileError(f"the file is larger than {MAX_FILE_BYTES} bytes")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    header = {name.strip().lower() for name in reader.fieldnames or []}
    quote_col = "quote" if "quote" in header else "currency"
    if not {"date", "rate", quote_col} <= header:
        raise RateFileError("the header needs the columns date, quote (or currency) and rate")
    rates: list[Rate] = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        where = f"line {number}"
        base = (row.get("base") or EUR).upper()
        quote = row.get(quote_col, "").upper()
        for code in (base, quote):
            if not _known(code):
                raise RateFileError(f"{where}: {code!r} is not a currency zhifu supports")
        if base == quote:
            raise RateFileError(f"{where}: base and quote are the same currency")
        rates.append(
            Rate(
                base,
                quote,
                _decimal(row.get("rate", ""), where),
                _date(row.get("date", ""), where),
                (row.get("source") or source)[:40],
            )
        )
    if not rates:
        raise RateFileError("the file holds no rates")
    return rates


def parse_rate_file(data: bytes, source: str | None = None) -> list[Rate]:
    """An ECB XML file or a CSV file, told apart by their first character."""
    if data.lstrip().startswith(b"<"):
        return parse_ecb_xml(data, source or ECB_SOURCE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RateFileError("CSV rate files are UTF-8") from None
    return parse_csv(text, source or "csv")


def restamp(rates: Sequence[Rate], as_of: dt.datetime, source: str) -> list[Rate]:
    """The same rates dated `as_of` (the demo's sample file would otherwise be stale)."""
    return [Rate(r.base, r.quote, r.rate, as_of, source) for r in rates]
