"""FX use cases: import rates, quote, convert a buyer's balance between currencies.

A quote is created from the latest rates (refused if they are stale), stored, and honoured
exactly by convert() until it expires. The conversion is one ledger entry:

    buyer balance (sell currency)      -sell
    FX position   (sell currency)      +sell
    FX position   (receive currency)   -receive
    buyer balance (receive currency)   +receive

so each currency sums to zero; the FX position accounts carry the house's exposure, and
the gain or loss against the mid rate (the spread plus rounding) is realised there. The
quote row records that gain for reporting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from django.db import transaction

from zhifu.config.site import config
from zhifu.db import run_in_transaction
from zhifu.fx import domain, errors
from zhifu.fx.models import Quote, Rate
from zhifu.kernel import clock, ids
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import errors as ledger_errors
from zhifu.ledger import services as ledger
from zhifu.ledger.services import PostedEntry

SAMPLE_FILE = "eurofxref-sample.xml"
# An unused quote is deleted this long after it expired (``purge_expired_quotes``, a job of
# ``zhifu worker``): the cashier makes one per page view and balance, so they pile up; a
# day's grace keeps "quote expired" (not "no such quote") for a late conversion.
QUOTE_GRACE = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Settings:
    spread_bps: int
    quote_ttl: dt.timedelta
    max_rate_age: dt.timedelta

    @classmethod
    def current(cls) -> Settings:
        env = config().env
        return cls(
            spread_bps=env.fx_spread_bps,
            quote_ttl=dt.timedelta(seconds=env.fx_quote_ttl_seconds),
            max_rate_age=dt.timedelta(hours=env.fx_max_rate_age_hours),
        )


@dataclass(frozen=True, slots=True)
class ImportResult:
    read: int
    created: int
    days: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QuoteView:
    id: str
    owner: str
    sell: Money
    receive: Money
    rate: domain.Decimal
    mid_rate: domain.Decimal
    spread_bps: int
    expires_at: dt.datetime
    house_gain: Money


# --- rates ------------------------------------------------------------------------------


def import_rates(rates: Sequence[domain.Rate]) -> ImportResult:
    """Store rates; a rate already stored (same pair, time and source) is kept as it was."""
    rows = [
        Rate(
            base=r.base,
            quote=r.quote,
            rate_scaled=domain.to_scaled(r.rate),
            as_of=r.as_of,
            source=r.source,
        )
        for r in rates
    ]
    with transaction.atomic():
        before = Rate.objects.count()
        Rate.objects.bulk_create(rows, ignore_conflicts=True)
        created = Rate.objects.count() - before
    days = tuple(sorted({r.as_of.date().isoformat() for r in rates}))
    return ImportResult(read=len(rates), created=created, days=days)


def import_file(path: Path, *, source: str | None = None) -> ImportResult:
    """Import an ECB XML or CSV file; raises domain.RateFileError with a readable reason."""
    try:
        size = path.stat().st_size
        if size > domain.MAX_FILE_BYTES:
            raise domain.RateFileError(f"the file is larger than {domain.MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        raise domain.RateFileError(f"cannot read {path}: {exc.strerror}") from None
    return import_rates(domain.parse_rate_file(data, source))


def sample_rates() -> list[domain.Rate]:
    data = resources.files("zhifu.fx").joinpath("data", SAMPLE_FILE).read_bytes()
    return domain.parse_ecb_xml(data, "ecb-sample")


def import_sample(now: dt.datetime | None = None) -> ImportResult:
    """Import the shipped sample, dated now so the offline demo can convert (source
    "sample", so it is never mistaken for the ECB's figures)."""
    stamp = (now or clock.now()).replace(microsecond=0)
    return import_rates(domain.restamp(sample_rates(), stamp, "sample"))


def _latest(base: str, quote: str) -> domain.Rate | None:
    row = Rate.objects.filter(base=base, quote=quote).order_by("-as_of", "-pk").first()
    if row is None:
        return None
    return domain.Rate(row.base, row.quote, row.rate, row.as_of, row.source)


def current_rate(
    base: str, quote: str, *, now: dt.datetime | None = None, settings: Settings | None = None
) -> domain.Rate:
    """The mid rate base->quote (direct, inverse or through EUR), refused if stale."""
    settings = settings or Settings.current()
    try:
        rate = domain.find_rate(_latest, base, quote)
        domain.check_fresh(rate, now or clock.now(), settings.max_rate_age)
    except domain.StaleRate as exc:
        raise errors.RateStale(
            errors.RateStale.dated_message,
            params={"base": base, "quote": quote, "date": f"{exc.as_of:%Y-%m-%d %H:%M} UTC"},
        ) from None
    except domain.NoRate:
        raise errors.RateUnavailable(
            errors.RateUnavailable.pair_message, params={"base": base, "quote": quote}
        ) from None
    return rate


def latest_rates() -> list[domain.Rate]:
    """The newest stored rate of every stored pair (for `zhifu fx rates`)."""
    seen: dict[tuple[str, str], domain.Rate] = {}
    for row in Rate.objects.order_by("base", "quote", "-as_of", "-pk").iterator():
        key = (row.base, row.quote)
        if key not in seen:
            seen[key] = domain.Rate(row.base, row.quote, row.rate, row.as_of, row.source)
    return list(seen.values())


# --- quotes and conversion --------------------------------------------------------------


def _view(row: Quote) -> QuoteView:
    return QuoteView(
        id=row.public_id,
        owner=row.owner,
        sell=Money(row.sell_minor, row.sell_currency),
        receive=Money(row.receive_minor, row.receive_currency),
        rate=domain.from_scaled(row.rate_scaled),
        mid_rate=domain.from_scaled(row.mid_rate_scaled),
        spread_bps=row.spread_bps,
        expires_at=row.expires_at,
        house_gain=Money(row.house_gain_minor, row.receive_currency),
    )


def _check_pair(source: str, target: str) -> None:
    if source == target:
        raise errors.SameCurrency()
    enabled = config().currencies
    if source not in enabled or target not in enabled:
        raise errors.RateUnavailable(
            errors.RateUnavailable.pair_message, params={"base": source, "quote": target}
        )


def _store(owner: str, terms: domain.QuoteTerms) -> QuoteView:
    row = Quote.objects.create(
        public_id=ids.new_id("quo"),
        owner=owner,
        sell_currency=terms.sell.currency,
        sell_minor=terms.sell.minor,
        receive_currency=terms.receive.currency,
        receive_minor=terms.receive.minor,
        mid_rate_scaled=domain.to_scaled(terms.mid_rate),
        rate_scaled=domain.to_scaled(terms.rate),
        spread_bps=terms.spread_bps,
        house_gain_minor=terms.house_gain.minor,
        rates_as_of=terms.rates_as_of,
        rate_source=terms.rate_source,
        created_at=terms.created_at,
        expires_at=terms.expires_at,
    )
    return _view(row)


def quote(
    owner: str, sell: Money, receive_currency: str, *, settings: Settings | None = None
) -> QuoteView:
    """Lock today's rate plus the spread for `settings.quote_ttl`."""
    return _quote(owner, sell.currency, receive_currency, settings, domain.make_quote, sell)


def quote_to_receive(
    owner: str, receive: Money, sell_currency: str, *, settings: Settings | None = None
) -> QuoteView:
    """Lock what `owner` must sell in `sell_currency` to receive exactly `receive` (a
    payment in another currency), rounded up in the house's favour, for the quote's TTL."""
    return _quote(
        owner, sell_currency, receive.currency, settings, domain.make_quote_to_receive, receive
    )


def _quote(
    owner: str,
    source: str,
    target: str,
    settings: Settings | None,
    make: Callable[..., domain.QuoteTerms],
    amount: Money,
) -> QuoteView:
    """A quote source->target by `make` (by the amount sold, or received), stored."""
    settings = settings or Settings.current()
    _check_pair(source, target)
    now = clock.now()
    mid = current_rate(source, target, now=now, settings=settings)
    other = target if amount.currency == source else source
    try:
        terms = make(
            amount,
            other,
            mid,
            spread_bps=settings.spread_bps,
            now=now,
            ttl=settings.quote_ttl,
            max_age=settings.max_rate_age,
        )
    except domain.FxRuleError:
        raise errors.AmountTooSmall() from None
    return _store(owner, terms)


def convert(
    policy: ledger_domain.BalancePolicy, owner: str, quote_id: str, reference: str
) -> PostedEntry:
    """Convert the buyer's balance at a quote's exact terms (once, before it expires)."""
    if not policy.enabled:
        raise ledger_errors.BalanceDisabled()
    ledger_domain.validate_reference(reference)
    return run_in_transaction(lambda: _convert(owner, quote_id, reference, None))


def convert_within(
    policy: ledger_domain.BalancePolicy,
    owner: str,
    quote_id: str,
    reference: str,
    *,
    receive: Money,
) -> PostedEntry:
    """convert() as one step of the caller's transaction (a payment that converts and
    holds at once): refused unless a transaction is open, so the conversion can never
    commit without what the caller does next. The quote must receive exactly `receive`."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("convert_within runs inside the caller's transaction")
    if not policy.enabled:
        raise ledger_errors.BalanceDisabled()
    ledger_domain.validate_reference(reference)
    return _convert(owner, quote_id, reference, receive)


def _convert(owner: str, quote_id: str, reference: str, expect: Money | None) -> PostedEntry:
    row = Quote.objects.filter(public_id=quote_id, owner=owner).select_for_update().first()
    if row is None:
        raise errors.QuoteNotFound(quote=quote_id)
    if row.used_by is not None:
        raise errors.QuoteUsed(quote=quote_id)
    now = clock.now()
    if now >= row.expires_at:
        raise errors.QuoteExpired(quote=quote_id)
    sell = Money(row.sell_minor, row.sell_currency)
    receive = Money(row.receive_minor, row.receive_currency)
    if expect is not None and receive != expect:
        raise errors.QuoteMismatch(quote=quote_id)
    legs = [
        ledger_domain.Leg(ledger_domain.buyer(owner, sell.currency), -sell),
        ledger_domain.Leg(ledger_domain.fx_position(sell.currency), sell),
        ledger_domain.Leg(ledger_domain.fx_position(receive.currency), -receive),
        ledger_domain.Leg(ledger_domain.buyer(owner, receive.currency), receive),
    ]
    metadata: dict[str, Any] = {
        "quote": row.public_id,
        "rate": str(domain.from_scaled(row.rate_scaled)),
        "mid_rate": str(domain.from_scaled(row.mid_rate_scaled)),
        "spread_bps": row.spread_bps,
        "house_gain": row.house_gain_minor,
    }
    posted = ledger.post(
        reference,
        "fx",
        legs,
        description=f"Exchange {sell} to {receive.currency}",
        metadata=metadata,
    )
    Quote.objects.filter(pk=row.pk).update(used_by=reference, used_at=now)
    return posted


def purge_expired_quotes() -> int:
    """Delete the unused quotes expired more than ``QUOTE_GRACE`` ago; how many. A used
    quote stays: it records the conversion's gain (and its ledger entry names it)."""
    cutoff = clock.now() - QUOTE_GRACE
    deleted, _ = Quote.objects.filter(used_by__isnull=True, expires_at__lt=cutoff).delete()
    return deleted
