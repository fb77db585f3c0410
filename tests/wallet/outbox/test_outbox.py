from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction

from zhifu.kernel import clock
from zhifu.outbox import domain, services
from zhifu.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def received() -> list[tuple[int, dict[str, Any]]]:
    calls: list[tuple[int, dict[str, Any]]] = []
    services.handler("test.ok")(lambda mid, payload: calls.append((mid, payload)))

    def fail(mid: int, payload: dict[str, Any]) -> None:
        raise ConnectionError("card 4111111111111111 unreachable")

    services.handler("test.fail")(fail)
    return calls


def test_enqueue_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.enqueue("test.ok", {})


def test_a_message_of_a_rolled_back_transaction_never_exists() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.enqueue("test.ok", {"n": 1})
        _ = 1 / 0
    assert OutboxMessage.objects.count() == 0


def test_committed_messages_reach_their_handler_once(received: list[Any]) -> None:
    with transaction.atomic():
        message = services.enqueue("test.ok", {"n": 1})
    assert services.dispatch_due() == 1
    assert services.dispatch_due() == 0
    assert received == [(message.pk, {"n": 1})]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DONE


def test_a_failing_handler_is_retried_with_backoff_and_its_error_masked(
    received: list[Any],
) -> None:
    with time_machine.travel(T0, tick=False):
        with transaction.atomic():
            message = services.enqueue("test.fail", {})
        services.dispatch_due()
        message.refresh_from_db()
        assert message.state == OutboxMessage.State.PENDING
        assert message.attempts == 1
        assert message.available_at == T0 + dt.timedelta(seconds=5)
        assert "4111111111111111" not in message.last_error
        assert services.dispatch_due() == 0  # not due yet
    with time_machine.travel(T0 + dt.timedelta(seconds=6), tick=False):
        assert services.dispatch_due() == 1
        message.refresh_from_db()
        assert message.attempts == 2


def test_after_three_days_of_failures_the_message_is_dead(received: list[Any]) -> None:
    with time_machine.travel(T0, tick=False), transaction.atomic():
        message = services.enqueue("test.fail", {})
    with time_machine.travel(T0 + dt.timedelta(days=3, seconds=1), tick=False):
        services.dispatch_due()
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD


def test_a_leased_message_is_not_handed_out_twice(received: list[Any]) -> None:
    with transaction.atomic():
        services.enqueue("test.ok", {})
    claimed = services._claim(10)
    assert len(claimed) == 1
    assert services._claim(10) == []  # another worker sees it leased
    later = clock.now() + services.LEASE + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert len(services._claim(10)) == 1  # the first worker died: lease ran out


def test_unknown_topics_are_kept_for_retry(received: list[Any]) -> None:
    with transaction.atomic():
        message = services.enqueue("nobody.listens", {})
    services.dispatch_due()
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING
    assert "no handler" in message.last_error


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 5), (2, 10), (3, 20), (40, 6 * 3600)])
def test_backoff_doubles_up_to_six_hours(attempts: int, seconds: int) -> None:
    assert domain.next_delay(attempts) == dt.timedelta(seconds=seconds)
