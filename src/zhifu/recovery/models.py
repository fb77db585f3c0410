"""Recovery requests, the e-mailed tokens of the freeze and the cool-off, and the
counters of wrong answers. Tokens are stored only as SHA-256 (decision 0007); addresses
only as keyed digests (an unknown address must leave nothing readable behind)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhifu.kernel import clock


class RecoveryRequest(models.Model):
    """One "Forgot your payment password?" form sent. For an unknown address ``user`` is
    empty and no token is ever made; the worker makes the token of a real one
    (``services.send_link``) and only its hash lands here."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    address_digest = models.CharField(max_length=64)
    client_digest = models.CharField(max_length=64)
    own_session = models.BooleanField(default=False)  # sent from the owner's own session
    created_at = models.DateTimeField(default=clock.now)
    limited = models.BooleanField(default=False)  # over a limit: nothing was sent
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    wrong_submissions = models.PositiveSmallIntegerField(default=0)
    answered_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)  # superseded or guessed at

    class Meta:
        indexes = [
            models.Index(fields=["address_digest", "created_at"], name="recovery_address_time"),
            models.Index(fields=["client_digest", "created_at"], name="recovery_client_time"),
            models.Index(fields=["user", "created_at"], name="recovery_user_time"),
        ]

    def __str__(self) -> str:
        return f"recovery request {self.pk}"


class WrongAnswers(models.Model):
    """One wrong submission of the answers (the 24-hour count, SEC-18)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["user", "at"], name="recovery_wrong_time")]

    def __str__(self) -> str:
        return f"wrong answers of user {self.user_id}"


class SelfServiceLock(models.Model):
    """Self-service recovery is locked until an operator lifts it (``zhifu recovery
    unlock``): only support can help then."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    locked_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"recovery lock of user {self.user_id}"


class EmailedToken(models.Model):
    """A single-use link of a cool-off's fresh confirmation (the "This wasn't me" links,
    once here too, are notifications' ``FreezeLink`` since migration 0002)."""

    class Purpose(models.TextChoices):
        CONFIRM = "confirm", "confirm"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} link of user {self.user_id}"
