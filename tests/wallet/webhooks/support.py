"""Events, endpoints and receivers for the webhooks tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction

from zhifu.kernel import clock, http, ids
from zhifu.outbox import services as outbox
from zhifu.outbox.models import OutboxMessage
from zhifu.payments.domain import iso
from zhifu.webhooks import services
from zhifu.webhooks.models import Delivery

NO_JITTER: Callable[[], float] = lambda: 0.0  # noqa: E731


def payment_event(
    slug: str, *, kind: str = "payment.succeeded", livemode: bool = False
) -> dict[str, Any]:
    """An outbox payload shaped as payments writes it (docs/payments.md "Events")."""
    return {
        "id": ids.new_id("evt"),
        "type": kind,
        "created_at": iso(clock.now()),
        "platform": slug,
        "data": {
            "id": ids.new_id("pay"),
            "object": "payment",
            "status": "succeeded",
            "livemode": livemode,
            "amount": 1500,
            "currency": "USD",
        },
    }


def emit(slug: str, **kwargs: Any) -> str:
    """Enqueue one payment event as payments does, in its own transaction; its id."""
    payload = payment_event(slug, **kwargs)
    with transaction.atomic():
        outbox.enqueue(payload["type"], payload)
    return str(payload["id"])


def fan_out_all() -> int:
    """Run the outbox until it is empty (the webhooks handler makes the deliveries)."""
    total = 0
    while handled := outbox.dispatch_due():
        total += handled
    assert not OutboxMessage.objects.filter(state="pending").exists()
    return total


def deliver_all(
    transport: http.Transport, *, jitter: Callable[[], float] = NO_JITTER, per_endpoint: int = 4
) -> int:
    total = 0
    while sent := services.deliver_due(
        transport=transport, jitter=jitter, per_endpoint=per_endpoint
    ):
        total += sent
    return total


def next_due() -> dt.datetime | None:
    row = Delivery.objects.filter(state="pending").order_by("next_attempt_at").first()
    return None if row is None else row.next_attempt_at


def ok(request: http.Request) -> http.Response:
    return http.Response(200, {"Content-Type": "text/plain"}, b"thanks")
