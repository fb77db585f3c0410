"""Issue 9, finding 7: the outbound limit of kernel.http (framework-free part)."""

from __future__ import annotations

import threading

import pytest

from zhifu.kernel import http

BOUND_S = 30.0  # a generous bound on waiting for a condition, never a timing assertion


def test_a_call_with_no_free_slot_is_turned_away_unsent_and_the_slot_comes_back() -> None:
    entered, release = threading.Event(), threading.Event()

    def handler(request: http.Request) -> http.Response:
        entered.set()
        release.wait(BOUND_S)
        return http.Response(200)

    inner = http.MockTransport(handler)
    limited = http.LimitedTransport(inner, http.Slots(1), wait=0)
    results: list[int] = []
    first = threading.Thread(
        target=lambda: results.append(limited.handle(http.Request("GET", "http://a/")).status_code)
    )
    first.start()
    assert entered.wait(BOUND_S)
    with pytest.raises(http.NetworkBusy) as busy:
        limited.handle(http.Request("GET", "http://a/"))
    assert busy.value.request_sent is False  # a ConnectFailed: nothing left this process
    assert len(inner.requests) == 1
    release.set()
    first.join(BOUND_S)
    assert results == [200]
    assert limited.slots.taken == 0
    assert limited.handle(http.Request("GET", "http://a/")).status_code == 200


def test_a_failing_call_gives_its_slot_back() -> None:
    def handler(request: http.Request) -> http.Response:
        raise http.ReadTimeout("no answer")

    limited = http.LimitedTransport(http.MockTransport(handler), http.Slots(1), wait=0)
    for _ in range(3):
        with pytest.raises(http.ReadTimeout):
            limited.handle(http.Request("GET", "http://a/"))
    assert limited.slots.taken == 0


def test_a_limit_has_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        http.Slots(0)
