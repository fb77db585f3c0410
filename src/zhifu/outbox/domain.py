"""What a handler receives and when a failed message is tried again; free of Django."""

from __future__ import annotations

import datetime as dt
import random as _random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# Retry for three days (as Stripe and Standard Webhooks do), then give up and mark dead.
GIVE_UP_AFTER = dt.timedelta(days=3)
_FIRST_DELAY_S = 5
_MAX_DELAY_S = 6 * 60 * 60
# Each delay is drawn from [half, all] of its backoff step ("equal jitter"): messages that
# failed together (an SMTP server or a shop's endpoint down) come back spread out, not in
# lockstep, and jitter only ever shortens a delay, so the three days hold as many tries.
JITTER = 0.5


@dataclass(frozen=True)
class Event:
    """One outbox message as its handler sees it.

    `id` is stable across redeliveries: handlers deduplicate by it, and a webhook sends it
    as its id. `attempts` counts the failed tries before this one.
    """

    id: int
    topic: str
    created: dt.datetime
    payload: Mapping[str, Any]
    attempts: int = 0


def backoff(attempts: int) -> dt.timedelta:
    """The longest delay before attempt number attempts+1: 5 s, 10 s, 20 s ... capped at 6 hours."""
    if attempts < 1:
        return dt.timedelta(0)
    return dt.timedelta(seconds=min(_FIRST_DELAY_S * 2 ** min(attempts - 1, 32), _MAX_DELAY_S))


def next_delay(attempts: int, random: Callable[[], float] = _random.random) -> dt.timedelta:
    """Delay before attempt number attempts+1: backoff(attempts) shortened by up to JITTER.

    `random` returns a float in [0, 1), as `random.random` does; tests pass a constant.
    """
    step = backoff(attempts)
    return step - step * (JITTER * random())


def gives_up(created_at: dt.datetime, now: dt.datetime) -> bool:
    return now - created_at >= GIVE_UP_AFTER
