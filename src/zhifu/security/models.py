"""The security log (append-only) and the wallet's restrictions.

Rows name the user by ``str(pk)`` (the vault's ``owner_id``), without a foreign key: this
area sits below accounts, and the audit trail must outlive a deleted user.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models

from zhifu.kernel import clock


class AppendOnly(Exception):
    """The security log is never changed or deleted from."""


class _AppendOnlyQuerySet(models.QuerySet["SecurityEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the security log is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnly("the security log is append-only")


class SecurityEvent(models.Model):
    """One use of a buyer's credentials or one security step, for the buyer's log and the
    operators' audit. The database refuses UPDATE and DELETE too (migration 0001's
    triggers), so not even a raw query rewrites history."""

    user_id = models.CharField(max_length=64)  # str(pk), as the vault's owner_id
    kind = models.CharField(max_length=40)
    at = models.DateTimeField(default=clock.now)
    ip = models.GenericIPAddressField(null=True, blank=True)  # full: for operators only
    user_agent = models.CharField(max_length=300, blank=True)
    shop = models.CharField(max_length=100, blank=True)
    detail = models.CharField(max_length=200, blank=True)  # e.g. a card's last four digits

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user_id", "-at", "-id"], name="security_user_time")]

    def __str__(self) -> str:
        return f"{self.kind} of user {self.user_id} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("the security log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnly("the security log is append-only")


class Restriction(models.Model):
    """A wallet's freeze and cool-off; no row means neither."""

    user_id = models.CharField(max_length=64, unique=True)
    frozen_at = models.DateTimeField(null=True, blank=True)
    cool_off_until = models.DateTimeField(null=True, blank=True)
    # A fresh e-mail confirmation during the cool-off: one guarded action until then.
    confirmed_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"restrictions of user {self.user_id}"
