"""Outbox handlers of notifications (found by the outbox's autodiscovery)."""

from __future__ import annotations

from zhifu.notifications import services
from zhifu.outbox.domain import Event
from zhifu.outbox.services import handler


@handler(services.TOPIC)
def deliver(event: Event) -> None:
    payload = event.payload
    services.deliver_once(
        event.id,
        payload["to"],
        payload["template"],
        payload["language"],
        payload["context"],
        freeze_for=payload.get("freeze_for"),
    )
