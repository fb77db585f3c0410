from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.marketplace.domain import OrderStatus

LOCALES = [("en", "English"), ("ru", "Русский")]


def new_subject() -> str:
    """The buyer's OIDC subject: 128 random bits, never derived from the e-mail or the pk.

    It never changes, so a wallet that keys accounts by (issuer, subject) keeps finding the
    same buyer after an e-mail change, and it tells nothing about the shop's database.
    """
    return secrets.token_hex(16)


class BuyerManager(BaseUserManager["Buyer"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> Buyer:
        buyer = self.model(email=self.normalize_email(email).lower(), **extra)
        buyer.set_password(password)
        buyer.save(using=self._db)
        return buyer

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> Buyer:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class Buyer(AbstractBaseUser, PermissionsMixin):
    """A shop account: e-mail and password. The wallet learns of it through OIDC."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    locale = models.CharField(_("language"), max_length=10, default="en", choices=LOCALES)
    public_id = models.CharField(max_length=32, unique=True, default=new_subject, editable=False)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=clock.now)

    objects: ClassVar[BuyerManager] = BuyerManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    def __str__(self) -> str:
        return self.email


class Product(models.Model):
    """A catalogue entry. Names come in both languages; the price is integer minor units."""

    slug = models.SlugField(unique=True)
    name_en = models.CharField(max_length=120)
    name_ru = models.CharField(max_length=120)
    description_en = models.TextField()
    description_ru = models.TextField()
    price_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    image = models.CharField(max_length=200, help_text="path under static/")
    position = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["position", "id"]

    def __str__(self) -> str:
        return self.slug

    @property
    def price(self) -> Money:
        return Money(self.price_minor, self.currency)

    def name(self, language: str) -> str:
        return self.name_ru if language.startswith("ru") else self.name_en

    def description(self, language: str) -> str:
        return self.description_ru if language.startswith("ru") else self.description_en


class Order(models.Model):
    class Status(models.TextChoices):
        AWAITING_PAYMENT = OrderStatus.AWAITING_PAYMENT.value, _("Awaiting payment")
        PAID = OrderStatus.PAID.value, _("Paid")
        SHIPPED = OrderStatus.SHIPPED.value, _("Shipped")
        COMPLETED = OrderStatus.COMPLETED.value, _("Completed")
        CANCELLED = OrderStatus.CANCELLED.value, _("Cancelled")

    number = models.CharField(max_length=20, unique=True)
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT
    )
    currency = models.CharField(max_length=3)
    total_minor = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    # The wallet's payment of the latest attempt (a failed or expired one is replaced by a
    # new attempt's); "paid" is set only by a verified webhook (webhooks.py).
    payment_id = models.CharField(max_length=64, blank=True, db_index=True)
    payment_attempt = models.PositiveIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Sums of the order's refunds (OrderRefund) by status, kept in the transaction that
    # records one: succeeded, and sent but not answered yet.
    refunded_minor = models.PositiveBigIntegerField(default=0)
    refund_pending_minor = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def refunded(self) -> Money:
        return Money(self.refunded_minor, self.currency)

    @property
    def refund_pending(self) -> Money:
        return Money(self.refund_pending_minor, self.currency)

    @property
    def refundable(self) -> Money:
        """What may still be refunded: neither refunded nor on its way back."""
        left = self.total_minor - self.refunded_minor - self.refund_pending_minor
        return Money(max(0, left), self.currency)

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)


class OrderRefund(models.Model):
    """A refund of the order at the wallet, by the wallet's id. The SDK's answer records it
    at once; the wallet's `refund.*` webhooks settle it, and a refund made elsewhere (at
    the wallet, by a retry) arrives only by them. One row per refund, so nothing is
    counted twice however often or in whatever order the news comes."""

    refund_id = models.CharField(max_length=64, unique=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveBigIntegerField()
    status = models.CharField(max_length=16)  # domain.RefundStatus
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.refund_id} {self.status}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    unit_price_minor = models.PositiveBigIntegerField()
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar[list[str]] = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} x product {self.product_id}"

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_price_minor, self.order.currency)

    @property
    def total(self) -> Money:
        return self.unit_price * self.quantity


class RateEvent(models.Model):
    """One counted event (a reset e-mail, a sign-up) for a key: the SHA-256 of an e-mail
    or client address, never the value itself. Counted per (action, key) over a window."""

    action = models.CharField(max_length=20)
    key = models.CharField(max_length=64)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["action", "key", "at"], name="rate_event_lookup"),
            models.Index(fields=["at"], name="rate_event_age"),
        ]

    def __str__(self) -> str:
        return f"{self.action} at {self.at}"


class PendingSignup(models.Model):
    """A sign-up waiting for its e-mail link; the account exists only once it is used.

    The link's token is kept as its SHA-256 and the password as Django's password hash.
    """

    email = models.EmailField()
    name = models.CharField(max_length=150, blank=True)
    locale = models.CharField(max_length=10, default="en", choices=LOCALES)
    password = models.CharField(max_length=256)
    next_url = models.CharField(max_length=2000, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sign-up pending since {self.created_at}"


class Challenge(models.Model):
    """A single-use question (zhifu.marketplace.challenge); only hashes are kept."""

    token_hash = models.CharField(max_length=64, unique=True)
    answer_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"challenge until {self.expires_at}"


class WebhookReceipt(models.Model):
    """A webhook from the wallet that was verified and handled, by its `webhook-id`: the
    wallet delivers at least once, so a second delivery of one id is answered and ignored."""

    webhook_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"
