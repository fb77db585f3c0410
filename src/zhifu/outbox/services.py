"""Write events to the outbox and dispatch them.

enqueue() must run inside the caller's transaction: the event exists if and only if the
change it announces was committed. Dispatch is at-least-once: a handler may see the same
message twice (after a crash between its side effect and the "done" mark), so handlers
deduplicate by message id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import structlog
from django.db import connection, transaction

from zhifu.kernel import clock
from zhifu.kernel.masking import mask_card_numbers
from zhifu.outbox import domain
from zhifu.outbox.models import OutboxMessage

log = structlog.get_logger(__name__)

Handler = Callable[[int, dict[str, Any]], None]
_handlers: dict[str, Handler] = {}
LEASE = dt.timedelta(seconds=60)


class NoHandler(LookupError):
    pass


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out messages of a topic."""

    def register(fn: Handler) -> Handler:
        _handlers[topic] = fn
        return fn

    return register


def enqueue(topic: str, payload: dict[str, Any]) -> OutboxMessage:
    if not connection.in_atomic_block:
        raise RuntimeError("enqueue() belongs inside the transaction of the change it announces")
    return OutboxMessage.objects.create(topic=topic, payload=payload)


def _claim(batch: int) -> list[OutboxMessage]:
    now = clock.now()
    with transaction.atomic():
        due = OutboxMessage.objects.filter(
            state=OutboxMessage.State.PENDING, available_at__lte=now
        ).exclude(leased_until__gt=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due.order_by("available_at", "id")[:batch])
        if claimed:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in claimed]).update(
                leased_until=now + LEASE
            )
    return claimed


def _finish(message: OutboxMessage, error: str | None) -> None:
    now = clock.now()
    if error is None:
        message.state = OutboxMessage.State.DONE
        message.done_at = now
    else:
        message.attempts += 1
        message.last_error = mask_card_numbers(error)[:2000]
        if domain.gives_up(message.created_at, now):
            message.state = OutboxMessage.State.DEAD
        else:
            message.available_at = now + domain.next_delay(message.attempts)
    message.leased_until = None
    message.save(
        update_fields=["state", "done_at", "attempts", "last_error", "available_at", "leased_until"]
    )


def dispatch_due(batch: int = 50) -> int:
    """Hand due messages to their handlers; return how many were attempted."""
    messages = _claim(batch)
    for message in messages:
        fn = _handlers.get(message.topic)
        error: str | None = None
        if fn is None:
            error = f"no handler for topic {message.topic!r}"
        else:
            try:
                fn(message.pk, message.payload)
            except Exception as exc:  # a handler failure must not stop the worker
                error = f"{type(exc).__name__}: {exc}"
        if error:
            log.warning("outbox.failed", topic=message.topic, id=message.pk, error=error)
        _finish(message, error)
    return len(messages)
