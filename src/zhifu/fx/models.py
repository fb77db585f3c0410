"""Stored rates and quotes. Rates are exact decimals kept as integers scaled by 10**12
(``*_scaled`` columns): no float, and no database-dependent decimal type."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from zhifu.fx.domain import from_scaled
from zhifu.kernel import clock


class Rate(models.Model):
    """units of ``quote`` per one ``base``, as published by ``source`` at ``as_of``."""

    base = models.CharField(max_length=3)
    quote = models.CharField(max_length=3)
    rate_scaled = models.BigIntegerField()
    as_of = models.DateTimeField()
    source = models.CharField(max_length=40)
    imported_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["base", "quote", "as_of", "source"], name="fx_rate_unique"
            ),
            models.CheckConstraint(condition=models.Q(rate_scaled__gt=0), name="fx_rate_positive"),
        ]
        indexes = [models.Index(fields=["base", "quote", "-as_of"], name="fx_rate_latest")]

    def __str__(self) -> str:
        return f"1 {self.base} = {self.rate} {self.quote} ({self.source}, {self.as_of:%Y-%m-%d})"

    @property
    def rate(self) -> Decimal:
        return from_scaled(self.rate_scaled)


class Quote(models.Model):
    """A promise: sell ``sell_minor`` of one currency for exactly ``receive_minor`` of
    another, until ``expires_at``; used at most once (``used_by`` is the ledger entry's
    reference)."""

    public_id = models.CharField(max_length=40, unique=True)
    owner = models.CharField(max_length=100)
    sell_currency = models.CharField(max_length=3)
    sell_minor = models.BigIntegerField()
    receive_currency = models.CharField(max_length=3)
    receive_minor = models.BigIntegerField()
    mid_rate_scaled = models.BigIntegerField()
    rate_scaled = models.BigIntegerField()
    spread_bps = models.PositiveIntegerField()
    house_gain_minor = models.BigIntegerField()
    rates_as_of = models.DateTimeField()
    rate_source = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_by = models.CharField(max_length=200, unique=True, null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sell_minor__gt=0, receive_minor__gt=0),
                name="fx_quote_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id}: {self.sell_minor} {self.sell_currency} -> " + (
            f"{self.receive_minor} {self.receive_currency}"
        )
