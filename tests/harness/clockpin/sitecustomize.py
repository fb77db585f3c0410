"""Pins the clock of a process the tests start (the demo and its servers), like the tests' own.

Python imports ``sitecustomize`` at start-up from the first directory on sys.path that has one;
the test harness puts this directory first on the PYTHONPATH of the processes it starts (see
tests/harness/clock.py). Without ZHIFU_TEST_NOW and ZHIFU_TEST_NOW_AT it does nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import time_machine

NOW = "ZHIFU_TEST_NOW"  # the instant the test run's clock started at (ISO 8601, UTC), or "real"
NOW_AT = "ZHIFU_TEST_NOW_AT"  # the real Unix time at which that instant held


def pinned_start() -> dt.datetime | None:
    """Where this process's clock starts: the run's instant plus the real time since then, so
    every process of a run shows the same time whenever it started (JWT and signed-cookie
    timestamps cross processes). None: the real clock."""
    now, at = os.environ.get(NOW, ""), os.environ.get(NOW_AT, "")
    if not now or now == "real" or not at:
        return None
    start = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.UTC)
    return start + dt.timedelta(seconds=time.time() - float(at))


def pin() -> time_machine.travel | None:
    """Start travelling (ticking) to pinned_start(); return the traveller, or None."""
    start = pinned_start()
    if start is None:
        return None
    import time_machine

    traveller = time_machine.travel(start, tick=True)
    traveller.start()
    return traveller


if __name__ == "sitecustomize":  # imported by Python at start-up, not by the tests
    pin()
