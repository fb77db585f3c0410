from __future__ import annotations

from django.db import models

from zhifu.kernel import clock


class Endpoint(models.Model):
    """Where a platform wants its events, for one mode (a test key's endpoints get the
    test-mode events)."""

    id = models.CharField(primary_key=True, max_length=40)
    platform = models.ForeignKey("accounts.Platform", on_delete=models.CASCADE)
    livemode = models.BooleanField(default=False)
    url = models.CharField(max_length=2000)
    enabled_events = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, default="enabled")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["platform", "livemode", "id"], name="webhook_endpoint_of")]

    def __str__(self) -> str:
        return f"{self.id} {self.url}"


class EndpointSecret(models.Model):
    """One signing secret of an endpoint, as the salt it is derived from (never the secret:
    domain.derive_secret). ``expires_at`` is set when it is rotated out."""

    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="secrets")
    salt = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"secret #{self.pk} of {self.endpoint_id}"


class Event(models.Model):
    """An event as shops see it (GET /events), written from payments' outbox message."""

    id = models.CharField(primary_key=True, max_length=40)
    platform = models.ForeignKey("accounts.Platform", on_delete=models.CASCADE)
    livemode = models.BooleanField(default=False)
    type = models.CharField(max_length=60)
    created_at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["platform", "livemode", "id"], name="webhook_event_of")]

    def __str__(self) -> str:
        return f"{self.id} {self.type}"


class Delivery(models.Model):
    """One event for one endpoint: claimed, sent and retried on its own, so one receiver's
    trouble never holds another's events."""

    id = models.CharField(primary_key=True, max_length=40)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    state = models.CharField(max_length=10, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=clock.now)
    next_attempt_at = models.DateTimeField(default=clock.now)
    give_up_at = models.DateTimeField()
    # A worker's claim: until then no other worker sends it; the token names the claim, so
    # a worker whose lease ran out cannot overwrite the new holder's outcome.
    leased_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.CharField(max_length=32, blank=True)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "state", "leased_until"], name="webhook_in_flight"),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.state})"


class Attempt(models.Model):
    """One try of a delivery: what the receiver answered (the log shops and operators read)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)  # the first KiB of the body
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["delivery", "number"], name="webhook_attempt_of")]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
