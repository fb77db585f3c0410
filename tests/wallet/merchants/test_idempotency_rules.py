"""Idempotency keys (issue 11, merchant API item 3), the rules themselves, on an operation
that writes a row: the first answer (success or refusal) is replayed for the same key,
platform, mode and request; another request with the key gets 422; one arriving while the
first runs gets 409; a holder that died frees the key after its lease; keys are kept 24
hours; an atomic operation's writes and its stored answer commit together. The HTTP tests
(test_idempotency_http.py) run the same rules through the endpoints."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
import time_machine

from tests.wallet.merchants.support import new_key
from zhifu.accounts.models import Platform
from zhifu.kernel import clock
from zhifu.kernel.errors import Refusal
from zhifu.merchants import domain, services
from zhifu.merchants.domain import Held, Mode
from zhifu.merchants.errors import (
    IdempotencyKeyInUse,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    ParameterInvalid,
)
from zhifu.merchants.models import IdempotencyRecord
from zhifu.payments.errors import PaymentNetworkUnavailable

pytestmark = pytest.mark.django_db

_serial = itertools.count()


class Shop:
    """An operation that creates a platform row each time it runs (the "business write")."""

    def __init__(self) -> None:
        self.runs = 0

    def create(self) -> tuple[int, dict[str, Any]]:
        self.runs += 1
        n = next(_serial)
        Platform.objects.create(slug=f"made-{n}", name="x", issuer=f"https://m{n}.example/o")
        return 201, {"made": n}

    def refuse(self) -> tuple[int, dict[str, Any]]:
        self.create()  # written, then refused: must be undone
        raise ParameterInvalid("amount", "too odd")


def envelope(refusal: Refusal) -> tuple[int, dict[str, Any]]:
    return refusal.http_status, {"error": refusal.as_error()}


def made() -> int:
    return Platform.objects.filter(slug__startswith="made-").count()


@pytest.fixture
def caller(shop: Platform) -> services.Caller:
    return services.authenticate(f"Bearer {new_key('shop-a')}")


def run(
    caller: services.Caller,
    key: str | None,
    op: Any,
    *,
    fingerprint: str = "fp-1",
    atomic: bool = True,
) -> services.Outcome:
    return services.idempotent(caller, key, fingerprint, op, render=envelope, atomic=atomic)


@pytest.mark.parametrize("atomic", [True, False])
def test_the_first_answer_is_replayed_and_the_operation_runs_once(
    caller: services.Caller, atomic: bool
) -> None:
    shop = Shop()
    first = run(caller, "order-1", shop.create, atomic=atomic)
    again = run(caller, "order-1", shop.create, atomic=atomic)
    assert not first.replayed
    assert again.replayed
    assert again.response == first.response
    assert first.response.status == 201
    assert shop.runs == 1
    assert made() == 1


def test_a_refusal_is_stored_and_replayed_and_its_writes_undone(caller: services.Caller) -> None:
    shop = Shop()
    first = run(caller, "bad-1", shop.refuse)
    assert first.response.status == 400
    assert first.response.body["error"]["code"] == "parameter_invalid"
    assert made() == 0  # the savepoint undid the write; the answer was kept
    again = run(caller, "bad-1", shop.refuse)
    assert again.replayed
    assert again.response == first.response
    assert shop.runs == 1


def test_the_same_key_for_another_request_is_refused(caller: services.Caller) -> None:
    shop = Shop()
    run(caller, "k", shop.create, fingerprint="fp-1")
    with pytest.raises(IdempotencyKeyReused) as caught:
        run(caller, "k", shop.create, fingerprint="fp-2")
    assert caught.value.http_status == 422
    assert shop.runs == 1


def test_a_request_while_the_first_still_runs_is_refused(caller: services.Caller) -> None:
    shop = Shop()
    seen: list[Refusal] = []

    def first() -> tuple[int, dict[str, Any]]:
        try:
            run(caller, "busy", shop.create)
        except IdempotencyKeyInUse as exc:
            seen.append(exc)
        return shop.create()

    outcome = run(caller, "busy", first)
    assert len(seen) == 1
    assert seen[0].http_status == 409
    assert outcome.response.status == 201
    assert shop.runs == 1
    # Also for a different body: the key is taken either way (422 wins: it is never valid).
    with pytest.raises(IdempotencyKeyReused):
        run(caller, "busy", shop.create, fingerprint="fp-other")


def test_keys_of_other_platforms_and_modes_never_collide(
    caller: services.Caller, other_shop: Platform
) -> None:
    shop = Shop()
    theirs = services.authenticate(f"Bearer {new_key('shop-b')}")
    live = services.authenticate(f"Bearer {new_key('shop-a', Mode.LIVE)}")
    a = run(caller, "same", shop.create)
    b = run(theirs, "same", shop.create)
    c = run(live, "same", shop.create)
    assert [a.replayed, b.replayed, c.replayed] == [False, False, False]
    assert shop.runs == 3
    # Another key of the same platform and mode shares the platform's keys.
    sibling = services.authenticate(f"Bearer {new_key('shop-a')}")
    assert run(sibling, "same", shop.create).replayed


def test_a_holder_that_died_frees_the_key_after_its_lease(caller: services.Caller) -> None:
    shop = Shop()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        claim = services._claim(caller, "crashed", "fp-1")  # then the process is killed
        assert isinstance(claim, services._Claim)
    almost = start + domain.IDEMPOTENCY_LEASE - dt.timedelta(seconds=1)
    with time_machine.travel(almost, tick=False), pytest.raises(IdempotencyKeyInUse):
        run(caller, "crashed", shop.create)
    with time_machine.travel(start + domain.IDEMPOTENCY_LEASE, tick=False):
        retry = run(caller, "crashed", shop.create)
    assert retry.response.status == 201
    assert not retry.replayed
    assert run(caller, "crashed", shop.create).replayed
    assert shop.runs == 1
    # The dead holder's late answer changes nothing: its token lost the key.
    assert not services._store(claim, domain.StoredResponse(500, {"late": True}))
    assert IdempotencyRecord.objects.get().response_body == {"made": retry.response.body["made"]}


def test_an_atomic_operation_that_lost_its_lease_is_undone(caller: services.Caller) -> None:
    shop = Shop()
    start = clock.now()

    def slow() -> tuple[int, dict[str, Any]]:
        answer = shop.create()
        # Meanwhile the lease ran out and a retry took the key over.
        record = IdempotencyRecord.objects.get()
        IdempotencyRecord.objects.filter(pk=record.pk).update(token="the-retry")
        return answer

    with time_machine.travel(start, tick=False), pytest.raises(IdempotencyKeyInUse):
        run(caller, "slow", slow)
    assert made() == 0


def test_an_unexpected_error_gives_the_key_up(caller: services.Caller) -> None:
    shop = Shop()

    def broken() -> tuple[int, dict[str, Any]]:
        shop.create()
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        run(caller, "oops", broken)
    assert made() == 0
    assert not IdempotencyRecord.objects.exists()
    assert run(caller, "oops", shop.create).response.status == 201


@pytest.mark.parametrize("atomic", [True, False])
def test_a_server_side_failure_is_not_stored(caller: services.Caller, atomic: bool) -> None:
    """A 5xx refusal (the card network not reached: nothing done) frees the key: the retry
    runs the operation again instead of replaying the failure."""
    shop = Shop()
    calls: list[int] = []

    def flaky() -> tuple[int, dict[str, Any]]:
        calls.append(1)
        if len(calls) == 1:
            raise PaymentNetworkUnavailable()
        return shop.create()

    first = run(caller, "flaky", flaky, atomic=atomic)
    assert first.response.status == 503
    again = run(caller, "flaky", flaky, atomic=atomic)
    assert again.response.status == 201
    assert not again.replayed
    assert run(caller, "flaky", flaky, atomic=atomic).replayed
    assert len(calls) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ключ", "nul\x00"])
def test_malformed_keys_are_refused(caller: services.Caller, key: str) -> None:
    with pytest.raises(IdempotencyKeyInvalid) as caught:
        run(caller, key, Shop().create)
    assert caught.value.param == "Idempotency-Key"
    assert caught.value.http_status == 400


def test_a_key_of_255_printable_characters_is_fine(caller: services.Caller) -> None:
    key = "~ !" + "k" * 252
    assert run(caller, key, Shop().create).response.status == 201
    assert run(caller, key, Shop().create).replayed


def test_no_key_runs_every_time(caller: services.Caller) -> None:
    shop = Shop()
    run(caller, None, shop.create)
    run(caller, None, shop.create)
    assert shop.runs == 2
    assert not IdempotencyRecord.objects.exists()


def test_answers_are_kept_24_hours_then_forgotten(caller: services.Caller) -> None:
    shop = Shop()
    start = clock.now()
    with time_machine.travel(start, tick=False):
        run(caller, "day", shop.create)
    with time_machine.travel(start + dt.timedelta(hours=23, minutes=59), tick=False):
        assert services.forget(clock.now())[0] == 0
        assert run(caller, "day", shop.create).replayed
    with time_machine.travel(start + dt.timedelta(hours=24, seconds=1), tick=False):
        assert services.forget(clock.now())[0] == 1
        assert not run(caller, "day", shop.create).replayed
    assert shop.runs == 2


def test_the_record_keeps_no_request_body(caller: services.Caller) -> None:
    run(caller, "private", Shop().create, fingerprint=domain.request_fingerprint("POST", "/x", {}))
    record = IdempotencyRecord.objects.get()
    assert record.state == Held.DONE
    assert len(record.fingerprint) == 64  # a digest of the request, not the request


def test_the_fingerprint_ignores_key_order_but_not_values_or_endpoints() -> None:
    fp = domain.request_fingerprint
    same = fp("post", "/p", {"b": {"c": "d"}, "a": 1})
    assert fp("POST", "/p", {"a": 1, "b": {"c": "d"}}) == same
    assert fp("POST", "/p", {"a": 1}) != fp("POST", "/p", {"a": 2})
    assert fp("POST", "/p", {"a": 1}) != fp("POST", "/q", {"a": 1})
