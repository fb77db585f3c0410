"""Pure rules: safe next, resend limits, session expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from zhifu.accounts import domain

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "value",
    ["https://evil.example", "//evil", "/\\evil", "http:/x", "javascript:alert(1)", "", None,
     "account/", "/\nx", "\\\\evil"],
)  # fmt: skip
def test_safe_next_refuses_anything_off_site(value: str | None) -> None:
    assert domain.safe_next(value) is None


def test_safe_next_keeps_a_wallet_path() -> None:
    assert domain.safe_next("/account/?a=1") == "/account/?a=1"


def test_may_send_first_time() -> None:
    assert domain.may_send([], T0) is None


def test_may_send_cooldown_says_how_long() -> None:
    refused = domain.may_send([T0], T0 + dt.timedelta(seconds=15))
    assert refused == domain.SendRefused("cooldown", 45)


def test_may_send_hourly_window_rolls() -> None:
    sent = [T0 + dt.timedelta(minutes=m) for m in range(0, 50, 10)]
    assert domain.may_send(sent, T0 + dt.timedelta(minutes=55)) == domain.SendRefused("hourly", 300)
    assert domain.may_send(sent, T0 + dt.timedelta(minutes=60)) is None


def test_session_expiry() -> None:
    assert domain.session_expired(T0, T0, T0 + dt.timedelta(minutes=59)) is None
    assert domain.session_expired(T0, T0, T0 + dt.timedelta(hours=1)) == "idle"
    late = T0 + dt.timedelta(hours=24)
    assert domain.session_expired(T0, late, late) == "absolute"
