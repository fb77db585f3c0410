"""Delivery: at least once through worker crashes, every event to a flaky receiver within
three days, a dead receiver given up without holding anyone else's events."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.db import transaction

from tests.wallet.webhooks.support import (
    NO_JITTER,
    deliver_all,
    emit,
    fan_out_all,
    next_due,
    payment_event,
)
from zhifu.accounts.models import Platform
from zhifu.kernel import clock, http, ids
from zhifu.outbox import services as outbox
from zhifu.outbox.domain import GIVE_UP_AFTER
from zhifu.outbox.models import OutboxMessage
from zhifu.webhooks import domain, services
from zhifu.webhooks.models import Attempt, Delivery, Endpoint, Event

THREE_DAYS = GIVE_UP_AFTER


def _endpoint(shop: Platform, url: str = "https://shop.example/hooks") -> str:
    made = services.create_endpoint(shop, url=url, enabled_events=["*"], livemode=False)
    return str(made["id"])


class Killed(BaseException):
    """The worker process dying (not an error any code of ours catches)."""


class Receiver:
    """A shop that deduplicates by webhook-id: `processed` counts what it acted on."""

    def __init__(self) -> None:
        self.seen: Counter[str] = Counter()
        self.processed: Counter[str] = Counter()

    def __call__(self, request: http.Request) -> http.Response:
        msg_id = request.header("webhook-id")
        self.seen[msg_id] += 1
        if msg_id not in self.processed:
            self.processed[msg_id] += 1
        return http.Response(200, {}, b"ok")


@pytest.mark.slow
def test_killed_workers_deliver_every_committed_event_once_to_a_deduplicating_receiver(
    shop: Platform,
) -> None:
    """200 seeded runs; each kills the fan-out and the delivery worker at random points
    (between claim and send, after the send before the record), then runs a fresh one."""
    _endpoint(shop)
    receiver = Receiver()
    committed: set[str] = set()
    rolled_back: set[str] = set()
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        for seed in range(200):
            rng = random.Random(seed)
            for _ in range(rng.randint(1, 4)):
                payload = payment_event("shop-a")
                try:
                    with transaction.atomic():
                        outbox.enqueue(payload["type"], payload)
                        if rng.random() < 0.25:
                            raise RuntimeError("the change failed")  # rolled back
                    committed.add(payload["id"])
                except RuntimeError:
                    rolled_back.add(payload["id"])

            def fan_out(event: Any, rng: random.Random = rng) -> None:
                if rng.random() < 0.2:
                    raise Killed  # before the deliveries were written
                services.record_event(event)
                if rng.random() < 0.2:
                    raise Killed  # written, but the outbox message not marked done

            handlers = outbox.registry.copy()
            table = outbox.Registry({t: fan_out for t in handlers.topics()})

            def wire(request: http.Request, rng: random.Random = rng) -> http.Response:
                if rng.random() < 0.2:
                    raise Killed  # claimed, died before sending
                answer = receiver(request)
                if rng.random() < 0.2:
                    raise Killed  # sent, died before recording the answer
                return answer

            transport = http.MockTransport(wire)
            for _ in range(200):  # fresh workers until nothing is left
                try:
                    while outbox.dispatch_due(handlers=table, jitter=NO_JITTER):
                        pass
                    deliver_all(transport)
                except Killed:
                    pass
                pending = OutboxMessage.objects.filter(state="pending").exists()
                if not pending and not Delivery.objects.filter(state="pending").exists():
                    break
                # The dead worker's leases run out; the next one takes over.
                traveller.shift(services.LEASE + dt.timedelta(seconds=61))
            else:
                pytest.fail(f"run {seed} never finished")
    assert committed
    assert rolled_back
    assert set(receiver.seen) == committed  # every committed event, none rolled back
    assert all(n == 1 for n in receiver.processed.values())
    assert sum(receiver.seen.values()) > len(committed)  # crashes did cause redeliveries
    assert Event.objects.count() == len(committed)
    assert Delivery.objects.filter(state="succeeded").count() == len(committed)


def _bulk_events(shop: Platform, endpoint_id: str, count: int) -> None:
    now = clock.now()
    events = [
        Event(
            id=ids.new_id("evt"),
            platform=shop,
            livemode=False,
            type="payment.succeeded",
            created_at=now,
            data={"id": f"pay_{n}", "object": "payment", "status": "succeeded"},
        )
        for n in range(count)
    ]
    Event.objects.bulk_create(events)
    Delivery.objects.bulk_create(
        Delivery(
            id=ids.new_id("whd"),
            event=e,
            endpoint_id=endpoint_id,
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + THREE_DAYS,
        )
        for e in events
    )


def _run_until_quiet(
    transport: http.Transport,
    traveller: Any,
    until: dt.datetime,
    *,
    jitter: Any,
    per_endpoint: int = domain.PER_ENDPOINT_IN_FLIGHT,
    step: dt.timedelta = dt.timedelta(seconds=60),
    limit: int = 100,
) -> None:
    """Worker rounds, the clock moved to the next due delivery (at least ``step`` on)."""
    while True:
        while services.deliver_due(
            limit, transport=transport, jitter=jitter, per_endpoint=per_endpoint
        ):
            pass
        due = next_due()
        if due is None or due > until:
            return
        traveller.move_to(max(due, clock.now() + step))


@pytest.mark.slow
def test_a_receiver_failing_30_percent_gets_all_10000_events_within_three_days(
    shop: Platform,
) -> None:
    rng = random.Random(30)
    endpoint = _endpoint(shop)
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        _bulk_events(shop, endpoint, 10_000)
        got: Counter[str] = Counter()

        def flaky(request: http.Request) -> http.Response:
            if rng.random() < 0.3:
                return http.Response(503, {}, b"try later")
            got[request.header("webhook-id")] += 1
            return http.Response(200)

        _run_until_quiet(
            http.MockTransport(flaky),
            traveller,
            start + THREE_DAYS,
            jitter=rng.random,
            per_endpoint=500,
            limit=500,
        )
    delivered = Delivery.objects.filter(state="succeeded")
    assert delivered.count() == 10_000
    assert len(got) == 10_000
    last = max(delivered.values_list("delivered_at", flat=True))
    assert last - start <= THREE_DAYS
    assert Attempt.objects.filter(status_code=503).count() > 2000  # it did fail 30%


@pytest.mark.slow
def test_a_receiver_that_never_answers_is_given_up_after_three_days_and_delays_no_one(
    shop: Platform,
) -> None:
    dead = _endpoint(shop, "https://dead.example/hooks")
    alive = _endpoint(shop, "https://alive.example/hooks")
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:

        def wire(request: http.Request) -> http.Response:
            if "dead.example" in request.url:
                raise http.ReadTimeout("dead.example did not answer in time")
            return http.Response(200)

        transport = http.MockTransport(wire)
        # A backlog for both, then an event every 3 hours for 3 days.
        for _ in range(40):
            emit("shop-a")
        fan_out_all()
        end = start + THREE_DAYS + dt.timedelta(hours=7)
        while clock.now() < end:
            round_end = clock.now() + dt.timedelta(hours=3)
            if clock.now() < start + THREE_DAYS:
                emit("shop-a")
                fan_out_all()
            _run_until_quiet(transport, traveller, round_end, jitter=NO_JITTER)
            if clock.now() < round_end:
                traveller.move_to(round_end)
        _run_until_quiet(transport, traveller, end + THREE_DAYS, jitter=NO_JITTER)
    alive_rows = list(Delivery.objects.filter(endpoint_id=alive))
    dead_rows = list(Delivery.objects.filter(endpoint_id=dead))
    assert len(alive_rows) == len(dead_rows) > 40
    assert all(row.state == "succeeded" for row in alive_rows)
    # Each sent in the first worker round after it was written, whatever the dead one's
    # backlog (test_a_hanging_receiver_holds_no_other_endpoints_sends: the threads).
    worst = max(row.delivered_at - row.created_at for row in alive_rows)  # type: ignore[operator]
    assert worst <= dt.timedelta(seconds=60)
    assert all(row.state == "failed" for row in dead_rows)
    for row in dead_rows:
        tries = list(Attempt.objects.filter(delivery=row).order_by("number"))
        assert tries[-1].started_at >= row.created_at + THREE_DAYS - dt.timedelta(seconds=1)
        assert all(t.error.startswith("ReadTimeout") for t in tries)
        assert len(tries) >= 10


def test_deliveries_are_written_with_the_event_and_only_for_subscribed_endpoints(
    shop: Platform, other_shop: Platform
) -> None:
    mine = services.create_endpoint(
        shop, url="https://a.example/h", enabled_events=["refund.succeeded"], livemode=False
    )
    everything = _endpoint(shop)
    live = services.create_endpoint(
        shop, url="https://a.example/l", enabled_events=["*"], livemode=True
    )
    theirs = _endpoint(other_shop)
    emit("shop-a")
    emit("shop-a", kind="refund.succeeded")
    emit("shop-a", livemode=True)
    fan_out_all()
    by_endpoint = Counter(Delivery.objects.values_list("endpoint_id", flat=True))
    assert by_endpoint == {mine["id"]: 1, everything: 2, live["id"]: 1}
    assert theirs not in by_endpoint


def test_a_failed_attempt_is_retried_with_backoff_and_logged(shop: Platform) -> None:
    _endpoint(shop)
    answers = iter(
        [
            http.Response(500, {}, b"x" * 5000),
            http.Response(302, {"Location": "http://169.254.169.254/"}),
            http.Response(200, {}, b"ok"),
        ]
    )
    transport = http.MockTransport(lambda request: next(answers))
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        event = emit("shop-a")
        fan_out_all()
        assert deliver_all(transport) == 1
        row = Delivery.objects.get()
        assert row.state == "pending"
        assert row.next_attempt_at == start + dt.timedelta(seconds=5)
        traveller.shift(5)
        assert deliver_all(transport) == 1
        row.refresh_from_db()
        assert row.next_attempt_at == clock.now() + dt.timedelta(seconds=10)
        traveller.shift(10)
        assert deliver_all(transport) == 1
    log = services.event_deliveries(None, event)[0]
    assert log["status"] == "succeeded"
    first, second, third = log["attempts"]
    assert first["status_code"] == 500
    assert len(first["response_body"]) == 1024
    assert second["status_code"] == 302
    assert second["error"] == "redirect not followed"
    assert third["status_code"] == 200
    assert third["response_body"] == "ok"
    assert len(transport.requests) == 3  # the redirect was not followed


def test_resend_sends_a_delivered_event_again_with_the_same_id(shop: Platform) -> None:
    _endpoint(shop)
    receiver = Receiver()
    transport = http.MockTransport(receiver)
    event = emit("shop-a")
    fan_out_all()
    deliver_all(transport)
    services.resend(None, event)
    deliver_all(transport)
    assert receiver.seen[event] == 2
    assert receiver.processed[event] == 1


def test_a_deleted_endpoint_gets_nothing_more(shop: Platform) -> None:
    endpoint = _endpoint(shop)
    emit("shop-a")
    fan_out_all()
    services.delete_endpoint(shop, endpoint, livemode=False)
    emit("shop-a")
    fan_out_all()
    transport = http.MockTransport(lambda request: http.Response(200))
    assert deliver_all(transport) == 0
    assert Endpoint.objects.get(pk=endpoint).deleted_at is not None


def test_a_hanging_receiver_holds_no_other_endpoints_sends(shop: Platform, settings: Any) -> None:
    """The worker's Sender (real threads): a receiver that hangs holds at most its
    per-endpoint share of the sending threads while another's backlog is all delivered."""
    dead = _endpoint(shop, "https://dead.example/hooks")
    alive = _endpoint(shop, "https://alive.example/hooks")
    release = threading.Event()

    def wire(request: http.Request) -> http.Response:
        if "dead.example" in request.url:
            release.wait(30)  # hangs until the test lets go (a read timeout's stand-in)
            raise http.ReadTimeout("dead.example did not answer in time")
        return http.Response(200)

    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(wire)
    for _ in range(30):
        emit("shop-a")
    fan_out_all()
    sender = services.Sender(threads=8)
    try:
        for _ in range(2000):
            sender.run_once(wait_s=0.01)
            done = Delivery.objects.filter(endpoint_id=alive, state="succeeded").count()
            if done == 30:
                break
        else:
            pytest.fail("the live endpoint's deliveries did not get through")
        hung = Delivery.objects.filter(endpoint_id=dead, leased_until__gt=clock.now()).count()
        assert hung == domain.PER_ENDPOINT_IN_FLIGHT  # its share of threads, no more
        assert not Attempt.objects.filter(delivery__endpoint_id=dead).exists()
    finally:
        release.set()
        for _ in range(200):
            if not sender.run_once(wait_s=0.05) and not sender._flying:
                break
        sender.close()
    assert (
        Attempt.objects.filter(delivery__endpoint_id=dead).count() >= domain.PER_ENDPOINT_IN_FLIGHT
    )
