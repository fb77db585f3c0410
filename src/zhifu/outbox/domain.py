"""Retry policy of the outbox, free of Django."""

from __future__ import annotations

import datetime as dt

# Retry for three days (as Stripe and Standard Webhooks do), then give up and mark dead.
GIVE_UP_AFTER = dt.timedelta(days=3)
_FIRST_DELAY_S = 5
_MAX_DELAY_S = 6 * 60 * 60


def next_delay(attempts: int) -> dt.timedelta:
    """Delay before attempt number attempts+1: 5 s, 10 s, 20 s ... capped at 6 hours."""
    if attempts < 1:
        return dt.timedelta(0)
    seconds = min(_FIRST_DELAY_S * 2 ** min(attempts - 1, 32), _MAX_DELAY_S)
    return dt.timedelta(seconds=seconds)


def gives_up(created_at: dt.datetime, now: dt.datetime) -> bool:
    return now - created_at >= GIVE_UP_AFTER
