"""Payments' tables: the payment, each network call made for it (attempts), refunds.

Amounts are BigIntegerField counts of minor units. Ids are the public ``pay_``/``re_``/
``att_`` ids (ULID-like: sorting by id sorts by creation time, which cursor pagination
relies on). An attempt row is committed with its network idempotency key *before* the call,
so a crash after the call leaves a row that a retry or ``reconcile`` finds and settles once.
"""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models

from zhifu.db import Tracked
from zhifu.kernel import clock
from zhifu.payments.domain import CaptureMethod, PaymentStatus, RefundStatus


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(m.value, m.value) for m in enum]


class Payment(Tracked):
    id = models.CharField(primary_key=True, max_length=40)
    platform = models.ForeignKey(
        "accounts.Platform", on_delete=models.PROTECT, related_name="payments"
    )
    livemode = models.BooleanField(default=False)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    amount_capturable = models.BigIntegerField(default=0)
    amount_received = models.BigIntegerField(default=0)
    amount_refunded = models.BigIntegerField(default=0)  # succeeded and pending refunds
    status = models.CharField(max_length=32, choices=_choices(PaymentStatus))
    capture_method = models.CharField(max_length=16, choices=_choices(CaptureMethod))
    order_reference = models.CharField(max_length=200)
    description = models.CharField(max_length=1000, blank=True)
    # "" for none (the API's null): an empty reference is refused on create.
    buyer_reference = models.CharField(max_length=255, blank=True)
    return_url = models.CharField(max_length=2000)
    metadata = models.JSONField(default=dict, blank=True)
    # The wallet user who opened the cashier first; nobody else may pay or see it.
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    canceled_at = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)  # "" for none
    failure_message = models.CharField(max_length=200, blank=True)
    declines = models.PositiveSmallIntegerField(default=0)
    # What paid (never a number): "card" or "balance", and the card's public details.
    method_type = models.CharField(max_length=16, blank=True)
    card_id = models.CharField(max_length=40, blank=True)
    card_brand = models.CharField(max_length=40, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    # The network's authorization: captures, voids and refunds name it.
    authorization = models.CharField(max_length=64, blank=True)
    challenge_url = models.CharField(max_length=2000, blank=True)

    class Meta:
        indexes = [
            # The shop's list, newest first, and its filters (status, order reference).
            models.Index(fields=["platform", "-id"], name="pay_platform_id"),
            models.Index(fields=["platform", "status", "-id"], name="pay_platform_status"),
            models.Index(fields=["platform", "order_reference"], name="pay_platform_order"),
            models.Index(fields=["platform", "created_at"], name="pay_platform_created"),
            # The buyer's history, newest first.
            models.Index(fields=["buyer", "-id"], name="pay_buyer_id"),
            # Expiry's scan.
            models.Index(fields=["status", "expires_at"], name="pay_status_expiry"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="pay_amount_positive"),
            models.CheckConstraint(
                condition=models.Q(amount_capturable__gte=0)
                & models.Q(amount_received__gte=0)
                & models.Q(amount_refunded__gte=0)
                & models.Q(amount_refunded__lte=models.F("amount_received"))
                & models.Q(amount_received__lte=models.F("amount")),
                name="pay_amounts_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.status}"


class Attempt(models.TextChoices):
    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class AttemptState(models.TextChoices):
    OPEN = "open"  # recorded, call made or about to be: the outcome is not known
    CHALLENGE = "challenge"  # the network asked for the buyer's confirmation
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PaymentAttempt(Tracked):
    """One network call for a payment, recorded before it is made."""

    id = models.CharField(primary_key=True, max_length=40)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="attempts")
    refund = models.ForeignKey(
        "Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="attempts"
    )
    kind = models.CharField(max_length=16, choices=Attempt.choices)
    # What a void is for: "cancel", "expire" or "fail" (where the payment goes after it).
    purpose = models.CharField(max_length=16, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=16, choices=AttemptState.choices)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    method_type = models.CharField(max_length=16, blank=True)
    card_id = models.CharField(max_length=40, blank=True)
    network_reference = models.CharField(max_length=64, blank=True)
    decline_code = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "created_at"], name="payatt_state_time"),
            models.Index(fields=["payment", "created_at"], name="payatt_payment_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key} {self.state}"


class Refund(Tracked):
    id = models.CharField(primary_key=True, max_length=40)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    platform = models.ForeignKey(
        "accounts.Platform", on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=_choices(RefundStatus))
    reason = models.CharField(max_length=32, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    failure_code = models.CharField(max_length=64, blank=True)
    network_reference = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["platform", "-id"], name="refund_platform_id"),
            models.Index(fields=["payment", "-id"], name="refund_payment_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="refund_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.status}"
