from __future__ import annotations

from django.db import models

from zhifu.kernel import clock


class OutboxMessage(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        DEAD = "dead"

    topic = models.CharField(max_length=100)
    payload = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(default=clock.now)
    available_at = models.DateTimeField(default=clock.now)
    # A worker that claims a message leases it until this time; if it dies, the lease
    # runs out and another worker picks the message up again. The token names the claim,
    # so a worker whose lease ran out cannot overwrite the new holder's outcome.
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "available_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.topic}#{self.pk} ({self.state})"
