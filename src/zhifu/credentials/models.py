"""The payment password and the security answers of a wallet user: hashes only."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhifu.kernel import clock


class PaymentPassword(models.Model):
    """One per user. The failure counter lives here, in the database, so a lock survives
    restarts and is shared by every web process (docs/security.md SEC-12)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="payment_password"
    )
    pin_hash = models.CharField(max_length=200)
    failures = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    changed_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"payment password of user {self.user_id}"


class SecurityAnswer(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_answers"
    )
    position = models.PositiveSmallIntegerField()  # 1, 2, 3
    question = models.CharField(max_length=40)  # a key of domain.QUESTION_KEYS
    answer_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "position"], name="answer_position_once"),
            models.UniqueConstraint(fields=["user", "question"], name="answer_question_once"),
        ]
        ordering = ["user", "position"]

    def __str__(self) -> str:
        return f"answer {self.position} of user {self.user_id}"


class StepUpProof(models.Model):
    """A single-use proof that the owner typed the payment password, bound to one action.

    Only the SHA-256 of the 256-bit token is stored (``domain.proof_digest``, as for the
    e-mail links): a database read gives nothing to redeem. ``owner_id`` is the owner's
    id as the use cases know it (the vault's ``owner_id``), so a proof can be redeemed
    where no user row is at hand.
    """

    token_hash = models.CharField(max_length=64, unique=True)
    owner_id = models.CharField(max_length=64)
    action = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner_id", "expires_at"], name="stepup_owner_expiry")]

    def __str__(self) -> str:
        return f"step-up {self.action} of {self.owner_id}"
