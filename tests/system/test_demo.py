"""`zhifu demo` as a buyer's machine would run it: real processes on real ports."""

from __future__ import annotations

import datetime as dt
import signal
import sqlite3
import time
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path

from tests.harness.demo import Demo, processes_mentioning
from zhifu.demo import healthy
from zhifu.kernel import clock


def _secrets(data_dir: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((data_dir / "secrets").iterdir())}


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _wait_gone(text: str, seconds: float = 20) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := processes_mentioning(text)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def test_demo_serves_all_three_sites_and_stops_without_orphans(demo: Demo) -> None:
    seconds = demo.start()
    assert seconds < 60, f"healthy after {seconds:.1f} s"
    for url in demo.urls.values():
        with urllib.request.urlopen(url + "/") as resp:  # noqa: S310
            assert resp.status == 200
            # Every server keeps the test run's pinned clock (tests/harness/clock.py).
            served_at = parsedate_to_datetime(resp.headers["Date"])
            assert abs(served_at - clock.now()) < dt.timedelta(seconds=30), served_at
    banner = demo.output()
    assert demo.urls["wallet"] in banner
    assert "buyer@zhifu.localhost" in banner
    assert demo.stop(signal.SIGTERM) == 0
    assert _wait_gone(str(demo.data_dir)) == []
    assert not any(healthy(url) for url in demo.urls.values())


def test_a_second_demo_reuses_its_keys_and_data(demo: Demo) -> None:
    demo.start()
    demo.stop()
    keys = _secrets(demo.data_dir)
    buyers = _count(demo.data_dir / "marketplace.sqlite3", "marketplace_buyer")
    assert {"wallet_secret_key", "pepper", "oidc_signing_key"} <= set(keys)

    demo.start()
    assert _secrets(demo.data_dir) == keys
    assert _count(demo.data_dir / "marketplace.sqlite3", "marketplace_buyer") == buyers == 1
    demo.stop()


def test_servers_die_with_a_killed_demo(demo: Demo) -> None:
    demo.start()
    demo.stop(signal.SIGKILL)
    assert _wait_gone(str(demo.data_dir)) == []
