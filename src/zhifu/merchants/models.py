"""The merchant API's tables: platforms' secret keys, idempotency records, rate windows."""

from __future__ import annotations

from django.db import models

from zhifu.kernel import clock
from zhifu.merchants.domain import Held


class ApiKey(models.Model):
    """A platform's secret API key. The key itself is never stored: only its keyed hash
    (``digest``, HMAC-SHA256 under ``api_key_hash_key``) and a short prefix for listings."""

    id = models.CharField(primary_key=True, max_length=40)  # "key_…"
    platform = models.ForeignKey("accounts.Platform", on_delete=models.PROTECT, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=20)
    livemode = models.BooleanField(default=False)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["platform", "created_at"], name="merchants_key_platform")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.id})"


class IdempotencyRecord(models.Model):
    """One idempotency key of one platform in one mode: who holds it, then the first answer.

    ``token`` names the request holding the key; a request that outlives its lease loses
    the key to a retry, and its late writes (conditional on its token) change nothing."""

    platform = models.ForeignKey("accounts.Platform", on_delete=models.CASCADE, related_name="+")
    livemode = models.BooleanField(default=False)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(
        max_length=10, choices=[(h.value, h.value) for h in Held], default=Held.RUNNING
    )
    token = models.CharField(max_length=32)
    lease_until = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "livemode", "key"], name="merchants_idempotency_key"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="merchants_idempotency_age")]

    def __str__(self) -> str:
        return f"idempotency record {self.pk} ({self.state})"


class RateWindow(models.Model):
    """Requests of one API key in one minute (``minute``: minutes since the epoch)."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    minute = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "minute"], name="merchants_rate_window")
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id} minute {self.minute}: {self.count}"
