"""The merchant API's pure rules: key format and hashing, idempotency keys and request
fingerprints, which answers are stored, the rate window, the last-used throttle."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from zhifu.merchants import domain
from zhifu.merchants.domain import Mode

T0 = dt.datetime(2026, 6, 15, 12, 0, 10, tzinfo=dt.UTC)


def test_keys_are_256_random_bits_behind_their_mode() -> None:
    key = domain.new_secret_key(Mode.LIVE)
    assert key.startswith("sk_live_")
    assert len(key) == len("sk_live_") + domain.KEY_RANDOM_CHARS
    assert domain.KEY_RANDOM_CHARS * math.log2(len(domain.KEY_ALPHABET)) > 255
    assert domain.parse_secret_key(key) is Mode.LIVE
    assert domain.key_prefix(key) == key[:14]


@pytest.mark.parametrize(
    "text",
    ["", "sk_test_", "sk_test_" + "a" * 42, "sk_test_" + "a" * 44, "pk_test_" + "a" * 43,
     "sk_test_" + "-" * 43, " sk_test_" + "a" * 43, "sk_test_" + "a" * 42 + "é",
     "sk_test_" + "a" * 43 + "\n"],
)  # fmt: skip
def test_anything_else_is_not_a_key(text: str) -> None:
    assert domain.parse_secret_key(text) is None


def test_the_digest_is_keyed() -> None:
    key = domain.new_secret_key(Mode.TEST)
    one = domain.key_digest(b"k" * 32, key)
    assert one == domain.key_digest(b"k" * 32, key)
    assert one != domain.key_digest(b"j" * 32, key)
    assert len(one) == 64
    assert domain.digests_match(one, one)
    assert not domain.digests_match(one, one[:-1] + ("0" if one[-1] != "0" else "1"))


@pytest.mark.parametrize(
    ("key", "valid"),
    [("a", True), ("x" * 255, True), ("order 42/attempt#1", True), ("", False),
     ("x" * 256, False), ("tab\t", False), ("ключ", False), ("line\n", False)],
)  # fmt: skip
def test_idempotency_keys(key: str, valid: bool) -> None:
    assert domain.idempotency_key_valid(key) is valid


def test_only_the_servers_failures_are_not_replayed() -> None:
    assert [domain.replayable(s) for s in (200, 201, 400, 404, 409, 429, 500, 503)] == [
        True, True, True, True, True, True, False, False,
    ]  # fmt: skip


def test_the_rate_window_is_the_minute() -> None:
    assert domain.rate_window(T0) == domain.rate_window(T0.replace(second=59))
    assert domain.rate_window(T0) + 1 == domain.rate_window(T0 + dt.timedelta(minutes=1))
    assert domain.retry_after(T0) == 50
    assert domain.retry_after(T0.replace(second=59, microsecond=999)) == 1


def test_last_used_is_stale_after_a_minute_or_from_the_future() -> None:
    assert domain.last_used_stale(None, T0)
    assert not domain.last_used_stale(T0, T0 + dt.timedelta(seconds=59))
    assert domain.last_used_stale(T0, T0 + dt.timedelta(minutes=1))
    assert domain.last_used_stale(T0 + dt.timedelta(seconds=5), T0)  # a clock set back
