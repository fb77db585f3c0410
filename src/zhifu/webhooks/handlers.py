"""Webhooks' outbox handlers (found by the outbox's autodiscovery): each payment and refund
event becomes an event shops can read and a delivery per subscribed endpoint."""

from __future__ import annotations

import structlog

from zhifu.outbox.domain import Event
from zhifu.outbox.services import registry
from zhifu.webhooks import domain, services

log = structlog.get_logger(__name__)


def fan_out(event: Event) -> None:
    data = event.payload.get("data", {})
    services.record_event(event)
    log.info(
        "webhooks.event",
        message=event.id,
        type=event.payload.get("type"),
        platform=event.payload.get("platform"),
        object=data.get("id"),
        status=data.get("status"),
    )


for _topic in domain.EVENT_TYPES:
    registry.register(_topic, fan_out)
