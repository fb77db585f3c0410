from __future__ import annotations

import datetime as dt
import pickle
import re

import pytest
import time_machine

from zhifu.kernel import clock, ids
from zhifu.kernel.secret import Secret


def test_ids_carry_their_prefix_and_sort_by_creation_time() -> None:
    with time_machine.travel(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tick=False):
        first = ids.new_id("pay")
    with time_machine.travel(dt.datetime(2026, 1, 2, tzinfo=dt.UTC), tick=False):
        second = ids.new_id("pay")
    assert re.fullmatch(r"pay_[0-9A-HJKMNP-TV-Z]{26}", first)
    assert first < second


def test_ids_are_unique() -> None:
    assert len({ids.new_id("x") for _ in range(10_000)}) == 10_000


def test_bad_prefixes_are_refused() -> None:
    with pytest.raises(ValueError, match="prefix"):
        ids.new_id("Pay-1")


def test_tokens_have_at_least_128_bits() -> None:
    assert len(ids.token()) >= 22
    with pytest.raises(ValueError, match="128 bits"):
        ids.token(8)


def test_clock_is_aware_utc_and_movable() -> None:
    with time_machine.travel(dt.datetime(2030, 5, 1, 12, tzinfo=dt.UTC), tick=False):
        assert clock.now() == dt.datetime(2030, 5, 1, 12, tzinfo=dt.UTC)
    assert clock.now().tzinfo is dt.UTC


def test_secret_never_shows_its_value() -> None:
    secret = Secret("hunter2-canary")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{secret} {[secret]} {dict(k=secret)}"
    assert secret.reveal() == "hunter2-canary"
    assert secret == Secret("hunter2-canary")
    with pytest.raises(TypeError):
        pickle.dumps(secret)
