"""Write events to the outbox and dispatch them.

enqueue() must run inside the caller's transaction: the event exists if and only if the
change it announces was committed. Dispatch is at-least-once: a handler may see the same
message twice (after a crash between its side effect and the "done" mark), so handlers
deduplicate by message id.

Leases are per message: a worker claims one message, leases it for LEASE, runs its handler
and records the outcome, then claims the next. It never holds messages it has not started,
so a slow handler delays only its own message, and another worker cannot take a message
whose handler is still running, as long as handlers finish within LEASE.
"""

from __future__ import annotations

import datetime as dt
import random as _random
import secrets
from collections.abc import Callable
from typing import Any

import structlog
from django.db import connection, transaction
from django.db.models import Q

from zhifu.db import insert
from zhifu.kernel import clock
from zhifu.kernel.masking import mask_card_numbers
from zhifu.outbox import domain
from zhifu.outbox.models import OutboxMessage

log = structlog.get_logger(__name__)

Handler = Callable[[domain.Event], None]
# Longer than any handler may take: SMTP gives up after ZHIFU_SMTP_TIMEOUT (10 s by default).
LEASE = dt.timedelta(seconds=60)


class NoHandler(LookupError):
    """No handler is registered for the topic. The message fails and is retried like any
    other failure: during a rolling deploy an older worker may not know a newer topic yet."""

    def __init__(self, topic: str) -> None:
        super().__init__(f"no handler for topic {topic!r}")
        self.topic = topic


class Registry:
    """Which function carries out the messages of each topic.

    Apps register in their own `handlers.py` modules, which `OutboxConfig.ready()` imports
    (autodiscovery), into the module-level `registry`. Tests build their own Registry and
    pass it to dispatch_due(handlers=...) instead of changing that one.
    """

    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})

    def handler(self, topic: str) -> Callable[[Handler], Handler]:
        """Decorator: register the function that carries out messages of a topic."""

        def register(fn: Handler) -> Handler:
            self.register(topic, fn)
            return fn

        return register

    def register(self, topic: str, fn: Handler) -> None:
        existing = self._handlers.get(topic)
        if existing is not None and existing is not fn:
            raise ValueError(f"topic {topic!r} is already handled by {existing.__qualname__}")
        self._handlers[topic] = fn

    def handler_for(self, topic: str) -> Handler:
        try:
            return self._handlers[topic]
        except KeyError:
            raise NoHandler(topic) from None

    def topics(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def copy(self) -> Registry:
        return Registry(self._handlers)


registry = Registry()
handler = registry.handler


def enqueue(topic: str, payload: dict[str, Any]) -> OutboxMessage:
    if not connection.in_atomic_block:
        raise RuntimeError("enqueue() belongs inside the transaction of the change it announces")
    # Its INSERT built once (zhifu.db.insert): every state change of a payment writes one.
    return insert(OutboxMessage(topic=topic, payload=payload))


def _free(now: dt.datetime) -> Q:
    return Q(state=OutboxMessage.State.PENDING, available_at__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lte=now)
    )


def _claim() -> OutboxMessage | None:
    """Lease the next due message to this worker, or return None if none is free.

    PostgreSQL skips rows another worker is claiming (SKIP LOCKED); on SQLite transactions
    begin IMMEDIATE (config/databases.py), so claims take turns. The update is conditional
    all the same: of two workers that chose the same row, only one can lease it.
    """
    now = clock.now()
    with transaction.atomic():
        due = OutboxMessage.objects.filter(_free(now))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        message = due.order_by("available_at", "id").first()
        if message is None:
            return None
        # Base64, not hex: a long run of hex digits can pass for a card number in logs.
        token = secrets.token_urlsafe(16)
        won = OutboxMessage.objects.filter(_free(now), pk=message.pk).update(
            leased_until=now + LEASE, lease_token=token
        )
        if not won:
            return None
    message.leased_until, message.lease_token = now + LEASE, token
    return message


def _finish(message: OutboxMessage, error: str | None, jitter: Callable[[], float]) -> None:
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
            message.available_at = now + domain.next_delay(message.attempts, jitter)
    kept = OutboxMessage.objects.filter(pk=message.pk, lease_token=message.lease_token).update(
        state=message.state,
        done_at=message.done_at,
        attempts=message.attempts,
        last_error=message.last_error,
        available_at=message.available_at,
        leased_until=None,
        lease_token="",
    )
    if not kept:
        # The handler outlived its lease and another worker took the message over: its
        # outcome is the one that counts.
        log.error("outbox.lease_lost", topic=message.topic, id=message.pk)


def event_of(message: OutboxMessage) -> domain.Event:
    """The envelope the handler of this message receives."""
    return domain.Event(
        id=message.pk,
        topic=message.topic,
        created=message.created_at,
        payload=message.payload,
        attempts=message.attempts,
    )


def dispatch_due(
    batch: int = 50,
    *,
    handlers: Registry | None = None,
    jitter: Callable[[], float] = _random.random,
) -> int:
    """Hand up to `batch` due messages to their handlers, one lease each; return how many
    were attempted. `handlers` (default: `registry`) and `jitter` (the retry delay's random
    draw) are test seams."""
    table = registry if handlers is None else handlers
    attempted = 0
    while attempted < batch:
        message = _claim()
        if message is None:
            break
        attempted += 1
        error: str | None = None
        try:
            table.handler_for(message.topic)(event_of(message))
        except Exception as exc:  # a handler failure must not stop the worker
            error = f"{type(exc).__name__}: {exc}"
            log.warning("outbox.failed", topic=message.topic, id=message.pk, error=error)
        _finish(message, error, jitter)
    return attempted
