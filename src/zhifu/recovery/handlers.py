"""Outbox handlers of recovery (found by the outbox's autodiscovery)."""

from __future__ import annotations

from zhifu.outbox.domain import Event
from zhifu.outbox.services import handler
from zhifu.recovery import services


@handler(services.TOPIC)
def send_link(event: Event) -> None:
    services.send_link(event.id, event.payload["request"])
