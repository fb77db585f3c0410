"""Hardening finding "adding a card was a card-testing oracle": the pure rules (SEC-36)."""

from __future__ import annotations

import datetime as dt

from zhifu.connectors.base import DeclineCode
from zhifu.vault import domain
from zhifu.vault.domain import AttemptKey

NOW = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)
LIMIT = domain.CARD_ATTEMPT_LIMITS[AttemptKey.ACCOUNT]


def minutes_ago(*values: int) -> list[dt.datetime]:
    return [NOW - dt.timedelta(minutes=m) for m in values]


def test_a_check_is_allowed_below_every_limit() -> None:
    assert (
        domain.attempts_retry_after({AttemptKey.ACCOUNT: minutes_ago(*[1] * (LIMIT - 1))}, NOW)
        is None
    )
    assert domain.attempts_retry_after({}, NOW) is None


def test_a_full_key_waits_until_its_oldest_counted_attempt_leaves_the_window() -> None:
    times = minutes_ago(50, *[5] * (LIMIT - 1))
    assert domain.attempts_retry_after({AttemptKey.ACCOUNT: times}, NOW) == dt.timedelta(minutes=10)
    # Attempts older than the window count for nothing.
    old = minutes_ago(61, 90, 120, *[5] * (LIMIT - 1))
    assert domain.attempts_retry_after({AttemptKey.ACCOUNT: old}, NOW) is None


def test_the_longest_wait_of_the_full_keys_is_the_answer() -> None:
    card = domain.CARD_ATTEMPT_LIMITS[AttemptKey.CARD]
    wait = domain.attempts_retry_after(
        {
            AttemptKey.ACCOUNT: minutes_ago(50, *[1] * (LIMIT - 1)),
            AttemptKey.CARD: minutes_ago(20, *[1] * (card - 1)),
        },
        NOW,
    )
    assert wait == dt.timedelta(minutes=40)


def test_retry_minutes_round_up_and_never_say_zero() -> None:
    assert domain.retry_minutes(dt.timedelta(seconds=1)) == 1
    assert domain.retry_minutes(dt.timedelta(minutes=10)) == 10
    assert domain.retry_minutes(dt.timedelta(minutes=10, seconds=1)) == 11


def test_only_the_first_decline_tells_a_fraud_relevant_reason() -> None:
    for code in DeclineCode:
        assert domain.visible_decline(code, 0) is code
        later = domain.visible_decline(code, 1)
        assert later is (domain.GENERIC_DECLINE if code in domain.FRAUD_RELEVANT_DECLINES else code)
    # The ones told as they are already say nothing but "declined".
    assert set(DeclineCode) - domain.FRAUD_RELEVANT_DECLINES == {
        DeclineCode.DO_NOT_HONOUR,
        DeclineCode.OTHER,
    }


def test_a_burst_starts_at_the_threshold() -> None:
    assert not domain.is_burst(domain.DECLINE_BURST - 1)
    assert domain.is_burst(domain.DECLINE_BURST)
