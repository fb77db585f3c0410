"""cardnet's books: authorizations and the operations on them, each under its key.

Never a card number or CVC: an authorization keeps the scheme (of a listed test card) and
the last four digits at most. An operation keeps the first answer given under its
Idempotency-Key, replayed to a retry, and a keyed fingerprint of the request it answered.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from zhifu.cardnet.domain import Flow, Status

_LEDGER_STATUSES = (Status.CHALLENGE, Status.AUTHORIZED, Status.DECLINED, Status.VOIDED,
                    Status.CAPTURED)  # fmt: skip


class Authorization(models.Model):
    id = models.CharField(primary_key=True, max_length=40)  # auth_…
    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in _LEDGER_STATUSES])
    amount = models.BigIntegerField()  # minor units of currency
    currency = models.CharField(max_length=3)
    captured = models.BigIntegerField(default=0)
    refunded = models.BigIntegerField(default=0)
    decline_code = models.CharField(max_length=40, blank=True, default="")
    scheme = models.CharField(max_length=40, blank=True, default="")
    last4 = models.CharField(max_length=4, blank=True, default="")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="cardnet_auth_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured__gte=0, captured__lte=F("amount")),
                name="cardnet_auth_captured_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("captured")),
                name="cardnet_auth_refunded_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return self.id


class Operation(models.Model):
    key = models.CharField(max_length=255, unique=True)  # the request's Idempotency-Key
    flow = models.CharField(max_length=16, choices=[(f.value, f.value) for f in Flow])
    fingerprint = models.CharField(max_length=64)  # domain.fingerprint of the request
    authorization = models.ForeignKey(
        Authorization, on_delete=models.PROTECT, related_name="operations"
    )
    reference = models.CharField(max_length=40)  # auth_… / cap_… / ref_…
    # The operation's outcome, as `GET /api/v1/operations/<key>` tells it: an authorize
    # under challenge becomes authorized or declined once the buyer answers.
    status = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Status])
    decline_code = models.CharField(max_length=40, blank=True, default="")
    amount = models.BigIntegerField(null=True)  # none for a void
    currency = models.CharField(max_length=3, blank=True, default="")
    response = models.JSONField()  # the first answer's body, replayed for the same key
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.flow} {self.reference}"
