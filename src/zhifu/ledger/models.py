"""Ledger persistence: accounts with a stored running balance, entries, postings.

Money columns are BigIntegerField counts of minor units. Entries and postings are
append-only: the models refuse updates and deletes, and the migration adds database
triggers that refuse them too, so corrections can only be reversing entries.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from zhifu.kernel import clock
from zhifu.ledger.domain import AccountKind


class ImmutableRecord(Exception):
    """Entries and postings are never changed or deleted; post a reversal instead."""


class Account(models.Model):
    """One row of a logical account (owner, kind, currency); sharded accounts have several.

    ``balance`` is the running balance, updated in the same transaction as every posting
    while the row is locked, so reading it is O(1) whatever the history length.
    ``allow_negative`` is copied from the kind so the database itself can refuse a
    negative balance (the CHECK constraint below) even if a bug slipped past the service.
    """

    owner = models.CharField(max_length=100)
    kind = models.CharField(max_length=32, choices=[(k.value, k.value) for k in AccountKind])
    currency = models.CharField(max_length=3)
    shard = models.PositiveSmallIntegerField(default=0)
    shards = models.PositiveSmallIntegerField(default=1)
    balance = models.BigIntegerField(default=0)
    allow_negative = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "currency", "shard"], name="ledger_account_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(allow_negative=True) | models.Q(balance__gte=0),
                name="ledger_account_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(shard__lt=models.F("shards")), name="ledger_account_shard"
            ),
        ]

    def __str__(self) -> str:
        suffix = f"#{self.shard}" if self.shards > 1 else ""
        return f"{self.owner}/{self.kind}/{self.currency}{suffix}"


class Entry(models.Model):
    """One business event. ``reference`` is its identity: the unique constraint makes
    posting the same event twice impossible, even from two processes at once."""

    reference = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32)
    description = models.CharField(max_length=200, blank=True)
    posted_at = models.DateTimeField(default=clock.now)
    # A reversal points at the entry it undoes; one-to-one, so an entry is undone once.
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # A refund points at the payment it refunds (several partial refunds are allowed).
    related = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="followers"
    )
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "entries"
        indexes = [models.Index(fields=["kind", "posted_at"], name="ledger_entry_kind_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableRecord("ledger entries are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord("ledger entries are never deleted; post a reversal")


class Posting(models.Model):
    """A signed amount on one account row. ``balance_after`` is that row's balance right
    after this posting (shown on statements); ``posted_at`` and ``currency`` are copied
    from the entry and the account so statements need no join to page."""

    entry = models.ForeignKey(Entry, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    balance_after = models.BigIntegerField()
    posted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="ledger_posting_not_zero"),
        ]
        indexes = [
            models.Index(fields=["account", "posted_at", "id"], name="ledger_posting_statement"),
        ]

    def __str__(self) -> str:
        return f"{self.amount:+d} {self.currency} on account {self.account_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableRecord("postings are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord("postings are never deleted; post a reversal")
