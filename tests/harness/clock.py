"""One pinned clock for a whole test run, the processes it starts included.

No test may depend on today's date. The run's clock starts at ZHIFU_TEST_NOW (ISO 8601, UTC;
DEFAULT_NOW when unset, "real" for the real clock) and ticks, so timeouts and durations still
behave; a test that needs a frozen instant travels again inside it (time-machine nests).
`make test-dates` runs the date-sensitive tests with ZHIFU_TEST_NOW at each of DATES.

The processes the tests start (the demo, its migrations and servers) run
clockpin/sitecustomize.py, which pins them to the same clock: subprocess_env() passes the
instant and the real time at which it held (ZHIFU_TEST_NOW_AT).

Chromium keeps the real clock. That is safe because every cookie the sites date carries
Max-Age (Django's sessions and CSRF, the shop's language cookie: `set_cookie(max_age=...)`),
which a browser honours before Expires: a cookie lives as long as the server meant, even when
the pinned date is years from the real one and Expires is in the browser's past. Django's own
language cookie has no date at all (it ends with the browser). The cookie-lifetime tests of
both sites (tests/harness/cookies.py) keep it so.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.harness.clockpin.sitecustomize import NOW, NOW_AT, pin

if TYPE_CHECKING:
    import time_machine

DEFAULT_NOW = "2026-06-15T12:00:00Z"
# A month's 1st after a 31-day month, a 31st, 29 February, 31 December; at noon, so a run of a
# few minutes stays on its date while the clock ticks.
DATES = (
    "2026-12-01T12:00:00Z",
    "2027-01-31T12:00:00Z",
    "2028-02-29T12:00:00Z",
    "2026-12-31T12:00:00Z",
)
CLOCKPIN_DIR = Path(__file__).resolve().parent / "clockpin"


def pin_run() -> time_machine.travel | None:
    """Pin this process's clock (pytest_configure); the env vars stay for its subprocesses
    and for xdist workers, which then share the controller's clock."""
    os.environ.setdefault(NOW, DEFAULT_NOW)
    os.environ.setdefault(NOW_AT, repr(time.time()))  # before travelling: the real time
    return pin()


def subprocess_env(env: dict[str, str]) -> dict[str, str]:
    """env, plus what a child Python process needs to share the run's pinned clock."""
    out = dict(env)
    for name in (NOW, NOW_AT):
        if name in os.environ:
            out[name] = os.environ[name]
    path = [str(CLOCKPIN_DIR), *filter(None, out.get("PYTHONPATH", "").split(os.pathsep))]
    out["PYTHONPATH"] = os.pathsep.join(path)
    return out
