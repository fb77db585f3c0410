"""The vault's tables. They live in their own database (alias "vault", see router.py).

No foreign keys leave this database: the owner is the wallet user's primary key as text,
so the vault can be hosted apart from the wallet's main database.
"""

from __future__ import annotations

from django.db import models

from zhifu.kernel import clock


class StoredCard(models.Model):
    """One saved card. The number exists only as ciphertext; there is no CVC column."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        # Waiting for the buyer to answer the issuer's challenge (3-D Secure-like); shown
        # nowhere, usable for nothing, removed if the challenge fails or is abandoned.
        PENDING = "pending"

    id = models.CharField(primary_key=True, max_length=40)
    owner_id = models.CharField(max_length=64)
    # HMAC-SHA256(fingerprint key, number): finds the same card saved twice by a buyer.
    fingerprint = models.CharField(max_length=64)
    key_version = models.PositiveIntegerField()
    wrapped_key = models.BinaryField()
    ciphertext = models.BinaryField()
    # What may be shown (PCI DSS 3.4.1 allows more: zhifu keeps first four and last four).
    scheme = models.CharField(max_length=20)
    first4 = models.CharField(max_length=4)
    last4 = models.CharField(max_length=4)
    exp_month = models.PositiveSmallIntegerField()
    exp_year = models.PositiveSmallIntegerField()
    holder_name = models.CharField(max_length=26)
    label = models.CharField(max_length=40, blank=True)
    is_default = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    network_reference = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner_id", "fingerprint"], name="vault_card_once_per_owner"
            ),
            models.UniqueConstraint(
                fields=["owner_id"],
                condition=models.Q(is_default=True),
                name="vault_one_default_per_owner",
            ),
        ]
        indexes = [
            models.Index(fields=["owner_id", "created_at"], name="vault_card_owner"),
            models.Index(fields=["key_version"], name="vault_card_key_version"),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.scheme} …{self.last4})"


class AuditEvent(models.Model):
    """Who did what to which card, when and why; every decryption writes one."""

    class Action(models.TextChoices):
        ADD = "add"
        DELETE = "delete"
        REVEAL = "reveal"
        REVEAL_FAILED = "reveal_failed"
        REWRAP = "rewrap"

    card_id = models.CharField(max_length=40)
    owner_id = models.CharField(max_length=64)
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.CharField(max_length=100)
    purpose = models.CharField(max_length=200)
    at = models.DateTimeField(default=clock.now)

    class Meta:
        indexes = [models.Index(fields=["card_id", "at"], name="vault_audit_card")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.card_id}"


class CardAttempt(models.Model):
    """One card check asked of the network, counted by the velocity limits (SEC-36).

    The card is its keyed fingerprint only (as StoredCard's): never a digit of the number.
    Rows older than a day are deleted as new ones are written.
    """

    at = models.DateTimeField(default=clock.now)
    owner_id = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    client_ip = models.CharField(max_length=45, blank=True)  # empty: no request (a command)
    decline_code = models.CharField(max_length=20, blank=True)  # the network's, when it said no

    class Meta:
        indexes = [
            models.Index(fields=["owner_id", "at"], name="vault_attempt_owner"),
            models.Index(fields=["fingerprint", "at"], name="vault_attempt_card"),
            models.Index(fields=["client_ip", "at"], name="vault_attempt_ip"),
            models.Index(fields=["at"], name="vault_attempt_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.owner_id} {self.decline_code or 'checked'}"


class AttemptLock(models.Model):
    """One row per counted key, locked while an attempt on it is counted and written, so
    two parallel requests cannot both take the last slot."""

    kind = models.CharField(max_length=10)  # domain.AttemptKey
    key = models.CharField(max_length=64)
    used_at = models.DateTimeField(default=clock.now)  # unused for a day: deleted

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="vault_attempt_lock_once")
        ]
        indexes = [models.Index(fields=["used_at"], name="vault_attempt_lock_used")]

    def __str__(self) -> str:
        return f"{self.kind} lock"


class DeclineAlert(models.Model):
    """A burst of declines on one account, card or address, for operators
    (`zhifu vault alerts`). One row per burst: it ends after a window without a decline."""

    kind = models.CharField(max_length=10)  # domain.AttemptKey
    key = models.CharField(max_length=64)  # owner id, card fingerprint or address
    first_at = models.DateTimeField(default=clock.now)
    last_at = models.DateTimeField(default=clock.now)
    declines = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "last_at"], name="vault_alert_key")]

    def __str__(self) -> str:
        return f"{self.first_at:%Y-%m-%d %H:%M} {self.kind} {self.declines} declines"


class VerificationLease(models.Model):
    """A buyer's one card verification in flight (docs/card-network.md "A slow network").

    The primary key is the owner, so a second lease for the same buyer fails on the
    database's own constraint, whichever process asks. A lease whose request died is taken
    over once ``expires_at`` has passed.
    """

    owner_id = models.CharField(primary_key=True, max_length=64)
    card_id = models.CharField(max_length=40)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.owner_id}: {self.card_id} until {self.expires_at:%H:%M:%S}"
