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
