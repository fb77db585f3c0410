"""Outbox handlers of payments (found by the outbox's autodiscovery).

Every payment and refund event is only logged for now; delivering them to the platforms as
webhooks is the next capability (docs/payments.md "Events").
"""

from __future__ import annotations

import structlog

from zhifu.outbox.domain import Event
from zhifu.outbox.services import registry

log = structlog.get_logger(__name__)

TOPICS: tuple[str, ...] = (
    "payment.processing",
    "payment.requires_action",
    "payment.requires_capture",
    "payment.succeeded",
    "payment.failed",
    "payment.canceled",
    "payment.expired",
    "refund.pending",
    "refund.succeeded",
    "refund.failed",
)


def log_event(event: Event) -> None:
    data = event.payload.get("data", {})
    log.info(
        "payments.event",
        message=event.id,
        type=event.payload.get("type"),
        platform=event.payload.get("platform"),
        object=data.get("id"),
        status=data.get("status"),
    )


for _topic in TOPICS:
    registry.register(_topic, log_event)
