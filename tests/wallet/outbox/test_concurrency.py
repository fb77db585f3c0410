"""Two workers, one slow handler: every message is delivered once (row locks; PostgreSQL only)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import time_machine
from django.db import connection, transaction

from zhifu.outbox import services
from zhifu.outbox.domain import Event
from zhifu.outbox.models import OutboxMessage

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
QUICK = 30
WAIT = 30  # seconds; a bound on a wait that should end at once, never a pause


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_while_one_handler_is_slow_the_other_worker_delivers_the_rest_once_each() -> None:
    registry = services.Registry()
    deliveries: list[tuple[str, int]] = []
    quick_done = threading.Condition()
    slow_started = threading.Event()
    release = threading.Event()

    @registry.handler("test.slow")
    def slow(event: Event) -> None:
        deliveries.append((threading.current_thread().name, event.id))
        slow_started.set()
        assert release.wait(WAIT), "the slow handler was never released"

    @registry.handler("test.quick")
    def quick(event: Event) -> None:
        with quick_done:
            deliveries.append((threading.current_thread().name, event.id))
            quick_done.notify_all()

    def quick_delivered() -> int:
        return sum(1 for _, mid in deliveries if mid != slow_id)

    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(WAIT)
            while services.dispatch_due(batch=5, handlers=registry):
                pass
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(T0, tick=False):
        with transaction.atomic():
            ids = [services.enqueue("test.quick", {"n": n}).pk for n in range(5)]
            slow_id = services.enqueue("test.slow", {}).pk
            ids += [slow_id] + [
                services.enqueue("test.quick", {"n": n}).pk for n in range(5, QUICK)
            ]
        workers = [threading.Thread(target=worker, name=f"worker-{i}") for i in (1, 2)]
        for thread in workers:
            thread.start()
        assert slow_started.wait(WAIT)
        # One worker is stuck in the slow handler; the other one delivers all the rest
        # (with one lease per batch, they would wait behind the slow message).
        with quick_done:
            assert quick_done.wait_for(lambda: quick_delivered() == QUICK, WAIT)
        release.set()
        for thread in workers:
            thread.join(WAIT)
            assert not thread.is_alive()

    assert errors == []
    assert Counter(mid for _, mid in deliveries) == Counter(ids)  # each exactly once
    slow_worker = next(name for name, mid in deliveries if mid == slow_id)
    after_slow = deliveries[[mid for _, mid in deliveries].index(slow_id) + 1 :]
    assert after_slow
    assert all(name != slow_worker for name, _ in after_slow)
    assert set(OutboxMessage.objects.values_list("state", "lease_token")) == {("done", "")}
