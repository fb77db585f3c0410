"""The suite's pinned clock (tests/harness/clock.py): no test depends on today's date."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import pytest

from tests.harness import clock as pin
from tests.harness.clockpin.sitecustomize import pinned_start
from zhifu.kernel import clock

PINNED = os.environ.get(pin.NOW) != "real"


def _instant(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.skipif(not PINNED, reason="ZHIFU_TEST_NOW=real: the real clock")
def test_the_run_starts_at_the_pinned_instant_and_ticks() -> None:
    start = _instant(os.environ[pin.NOW])
    assert start <= clock.now() < start + dt.timedelta(hours=1)
    assert dt.datetime.now(dt.UTC) - clock.now() < dt.timedelta(seconds=1)  # one clock


def test_a_process_started_later_shows_the_same_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pin.NOW, "2028-02-29T12:00:00Z")
    # The instant held 90 real seconds ago: a process starting now is 90 s past it.
    monkeypatch.setenv(pin.NOW_AT, repr(time.time() - 90))
    start = pinned_start()
    assert start is not None
    elapsed = start - dt.datetime(2028, 2, 29, 12, tzinfo=dt.UTC)
    assert dt.timedelta(seconds=89) < elapsed < dt.timedelta(seconds=120)


def test_the_real_clock_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pin.NOW, "real")
    assert pinned_start() is None


def test_a_child_python_process_shares_the_pinned_clock() -> None:
    env = pin.subprocess_env({k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    child = subprocess.run(
        [sys.executable, "-c", "import datetime as d; print(d.datetime.now(d.UTC).isoformat())"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert abs(dt.datetime.fromisoformat(child.stdout.strip()) - clock.now()) < dt.timedelta(
        seconds=30
    )


def test_the_dates_run_covers_the_month_and_year_edges() -> None:
    days = {_instant(d).date() for d in pin.DATES}
    assert any(d.day == 1 for d in days)
    assert any(d.day == 31 and d.month != 12 for d in days)
    assert dt.date(2028, 2, 29) in days
    assert any((d.month, d.day) == (12, 31) for d in days)
