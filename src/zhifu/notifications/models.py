from __future__ import annotations

from django.db import models

from zhifu.kernel import clock


class SentEmail(models.Model):
    """Outbox messages already sent, so a redelivered message is not sent twice."""

    outbox_id = models.BigIntegerField(unique=True)
    template = models.CharField(max_length=60)
    sent_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.template} (outbox #{self.outbox_id})"


class FreezeLink(models.Model):
    """The "This wasn't me" link of one security e-mail: single use, seven days, no sign-in.
    Made when the e-mail is rendered (by the worker for an outbox e-mail), so the token
    never sits in the outbox's table; stored only as its SHA-256 (decision 0007). The user
    is named by ``str(pk)``, as the vault's owner_id and the security log name it."""

    user_id = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"freeze link of user {self.user_id}"
