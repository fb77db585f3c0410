from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine
from django.db import transaction

from zhifu.kernel import clock
from zhifu.outbox import domain, services
from zhifu.outbox.domain import Event
from zhifu.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)
T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def no_jitter() -> float:
    return 0.0


@pytest.fixture
def received() -> list[Event]:
    return []


@pytest.fixture
def handlers(received: list[Event]) -> services.Registry:
    """A registry of this test's own: the global one (the apps' handlers) stays untouched."""
    registry = services.Registry()
    registry.handler("test.ok")(received.append)

    @registry.handler("test.fail")
    def fail(event: Event) -> None:
        received.append(event)
        raise ConnectionError("card 4111111111111111 unreachable")

    return registry


def test_enqueue_outside_a_transaction_is_refused() -> None:
    with pytest.raises(RuntimeError, match="inside the transaction"):
        services.enqueue("test.ok", {})


def test_a_message_of_a_rolled_back_transaction_never_exists() -> None:
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        services.enqueue("test.ok", {"n": 1})
        _ = 1 / 0
    assert OutboxMessage.objects.count() == 0


def test_committed_messages_reach_their_handler_once(
    handlers: services.Registry, received: list[Event]
) -> None:
    with time_machine.travel(T0, tick=False):
        with transaction.atomic():
            message = services.enqueue("test.ok", {"n": 1})
        assert services.dispatch_due(handlers=handlers) == 1
        assert services.dispatch_due(handlers=handlers) == 0
    assert [(e.id, dict(e.payload)) for e in received] == [(message.pk, {"n": 1})]
    assert received == [Event(id=message.pk, topic="test.ok", created=T0, payload={"n": 1})]
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DONE
    assert message.leased_until is None
    assert message.lease_token == ""


def test_a_failing_handler_is_retried_with_backoff_and_its_error_masked(
    handlers: services.Registry, received: list[Event]
) -> None:
    with time_machine.travel(T0, tick=False):
        with transaction.atomic():
            message = services.enqueue("test.fail", {})
        services.dispatch_due(handlers=handlers, jitter=no_jitter)
        message.refresh_from_db()
        assert message.state == OutboxMessage.State.PENDING
        assert message.attempts == 1
        assert message.available_at == T0 + dt.timedelta(seconds=5)
        assert "4111111111111111" not in message.last_error
        assert services.dispatch_due(handlers=handlers) == 0  # not due yet
    with time_machine.travel(T0 + dt.timedelta(seconds=6), tick=False):
        assert services.dispatch_due(handlers=handlers, jitter=no_jitter) == 1
        message.refresh_from_db()
        assert message.attempts == 2
    assert [e.attempts for e in received] == [0, 1]  # the handler sees earlier failures


def test_the_retry_delay_is_drawn_with_jitter(handlers: services.Registry) -> None:
    with time_machine.travel(T0, tick=False):
        with transaction.atomic():
            message = services.enqueue("test.fail", {})
        services.dispatch_due(handlers=handlers, jitter=lambda: 0.5)
    message.refresh_from_db()
    assert message.available_at == T0 + dt.timedelta(seconds=3.75)  # 5 s less a quarter


def test_after_three_days_of_failures_the_message_is_dead(handlers: services.Registry) -> None:
    with time_machine.travel(T0, tick=False), transaction.atomic():
        message = services.enqueue("test.fail", {})
    with time_machine.travel(T0 + dt.timedelta(days=3, seconds=1), tick=False):
        services.dispatch_due(handlers=handlers)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.DEAD


def test_a_leased_message_is_not_handed_out_twice() -> None:
    with transaction.atomic():
        services.enqueue("test.ok", {})
    claimed = services._claim()
    assert claimed is not None
    assert services._claim() is None  # another worker sees it leased
    later = clock.now() + services.LEASE + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        again = services._claim()  # the first worker died: lease ran out
        assert again is not None
        assert again.pk == claimed.pk
        assert again.lease_token != claimed.lease_token


def test_each_message_is_leased_just_before_its_handler_runs(received: list[Event]) -> None:
    """While one handler runs, a second worker takes the next message, never the running one."""
    registry = services.Registry()
    seen_by_second_worker: list[int | None] = []
    leases: dict[int, dt.datetime | None] = {}

    @registry.handler("test.slow")
    def slow(event: Event) -> None:
        traveller.shift(dt.timedelta(seconds=50))  # within its own lease
        other = services._claim()
        seen_by_second_worker.append(other.pk if other else None)
        if other is not None:
            leases[other.pk] = other.leased_until
            received.append(services.event_of(other))
            services._finish(other, None, no_jitter)

    registry.handler("test.ok")(received.append)
    with time_machine.travel(T0, tick=False) as traveller:
        with transaction.atomic():
            first = services.enqueue("test.slow", {})
            second = services.enqueue("test.ok", {})
        assert services.dispatch_due(handlers=registry) == 1  # the second was done meanwhile
    assert seen_by_second_worker == [second.pk]
    assert leases == {second.pk: T0 + dt.timedelta(seconds=50) + services.LEASE}
    assert [e.id for e in received] == [second.pk]
    assert OutboxMessage.objects.get(pk=first.pk).state == OutboxMessage.State.DONE


def test_a_worker_that_outlived_its_lease_leaves_the_new_holders_outcome(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with time_machine.travel(T0, tick=False):
        with transaction.atomic():
            services.enqueue("test.ok", {})
        stale = services._claim()
    assert stale is not None
    with time_machine.travel(T0 + services.LEASE + dt.timedelta(seconds=1), tick=False):
        fresh = services._claim()
        assert fresh is not None
        with caplog.at_level(logging.ERROR):
            services._finish(stale, "TimeoutError: too slow", no_jitter)
    row = OutboxMessage.objects.get(pk=stale.pk)
    assert (row.state, row.attempts, row.lease_token) == ("pending", 0, fresh.lease_token)
    assert "outbox.lease_lost" in caplog.text


def test_unknown_topics_are_kept_for_retry(handlers: services.Registry) -> None:
    with transaction.atomic():
        message = services.enqueue("nobody.listens", {})
    services.dispatch_due(handlers=handlers)
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.PENDING
    assert "no handler" in message.last_error
    assert message.last_error == "NoHandler: no handler for topic 'nobody.listens'"
    assert message.attempts == 1


@pytest.mark.parametrize(("attempts", "seconds"), [(1, 5), (2, 10), (3, 20), (40, 6 * 3600)])
def test_backoff_doubles_up_to_six_hours(attempts: int, seconds: int) -> None:
    assert domain.next_delay(attempts, no_jitter) == dt.timedelta(seconds=seconds)
    assert domain.backoff(attempts) == dt.timedelta(seconds=seconds)


# --- the registry -----------------------------------------------------------------------


def test_a_topic_without_a_handler_raises_no_handler() -> None:
    with pytest.raises(services.NoHandler, match=r"nobody\.listens") as exc:
        services.Registry().handler_for("nobody.listens")
    assert exc.value.topic == "nobody.listens"


def test_a_topic_takes_one_handler() -> None:
    registry = services.Registry()

    def first(event: Event) -> None: ...

    def second(event: Event) -> None: ...

    registry.register("t", first)
    registry.register("t", first)  # the same function again (a module imported twice)
    with pytest.raises(ValueError, match=r"already handled by .*first"):
        registry.register("t", second)
    assert registry.handler_for("t") is first


def test_a_copy_of_a_registry_is_its_own() -> None:
    original = services.Registry()
    original.register("a", lambda event: None)
    copy = original.copy()
    copy.register("b", lambda event: None)
    assert original.topics() == {"a"}
    assert copy.topics() == {"a", "b"}


def test_handlers_modules_are_autodiscovered_into_the_default_registry() -> None:
    from django.apps import AppConfig, apps

    from zhifu.notifications import handlers as notification_handlers
    from zhifu.vault import handlers as vault_handlers

    assert services.registry.topics() >= {
        "notifications.email",
        "vault.card_added",
        "vault.card_deleted",
    }
    assert services.registry.handler_for("notifications.email") is notification_handlers.deliver
    assert services.registry.handler_for("vault.card_added") is vault_handlers.card_added
    assert services.registry.handler_for("vault.card_deleted") is vault_handlers.card_deleted
    # Only the outbox's ready() imports handlers; no other app registers by side effect.
    zhifu_apps = [c for c in apps.get_app_configs() if c.name.startswith("zhifu.")]
    assert {"notifications", "vault"} <= {c.label for c in zhifu_apps}
    assert [c.label for c in zhifu_apps if type(c).ready is not AppConfig.ready] == ["outbox"]


def test_no_test_handler_leaks_into_the_default_registry(handlers: services.Registry) -> None:
    assert not any(topic.startswith("test.") for topic in services.registry.topics())


def test_the_default_registry_is_used_when_none_is_given(received: list[Event]) -> None:
    with transaction.atomic():
        services.enqueue("test.ok", {})
    # "test.ok" is not one of the apps' topics: the default registry has no handler for it.
    assert services.dispatch_due() == 1
    assert received == []
    assert OutboxMessage.objects.get().last_error.startswith("NoHandler")
