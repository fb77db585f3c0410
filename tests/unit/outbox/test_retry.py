"""The outbox's retry schedule: jittered, bounded, and three days long whatever the draws."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from zhifu.outbox import domain

T0 = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
draws = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@given(attempts=st.integers(min_value=1, max_value=10_000), draw=draws)
def test_a_delay_lies_between_half_and_all_of_its_backoff_step(attempts: int, draw: float) -> None:
    step = domain.backoff(attempts)
    delay = domain.next_delay(attempts, lambda: draw)
    assert step * (1 - domain.JITTER) <= delay <= step <= dt.timedelta(hours=6)
    assert delay >= dt.timedelta(seconds=2.5)


@given(st.lists(draws, min_size=200, max_size=200))
def test_whatever_the_draws_retries_run_for_three_days_then_stop(draw_list: list[float]) -> None:
    """Simulate a message that always fails: the worker tries at each due time."""
    draws_left = iter(draw_list)
    now, attempts, tries = T0, 0, []
    while not domain.gives_up(T0, now):
        tries.append(now)
        attempts += 1
        now += domain.next_delay(attempts, lambda: next(draws_left))
    # The try that finds it dead comes at most one capped delay after the horizon ...
    assert T0 + domain.GIVE_UP_AFTER <= now <= T0 + domain.GIVE_UP_AFTER + dt.timedelta(hours=6)
    # ... every earlier try lies within it, and jitter never costs a try to the schedule
    # without jitter (which makes 24 tries in three days).
    assert all(t < T0 + domain.GIVE_UP_AFTER for t in tries)
    assert len(tries) >= 24


def test_without_a_draw_the_schedule_is_the_plain_doubling() -> None:
    assert [domain.next_delay(n, lambda: 0.0).total_seconds() for n in range(1, 5)] == [
        5,
        10,
        20,
        40,
    ]
    assert domain.next_delay(0) == dt.timedelta(0)


def test_the_default_draw_is_random_within_bounds() -> None:
    delays = {domain.next_delay(3) for _ in range(50)}
    assert len(delays) > 1
    assert all(dt.timedelta(seconds=10) <= d <= dt.timedelta(seconds=20) for d in delays)
