"""`zhifu bench payments` runs end to end: one client for one second, then two payments
paid one at a time, each read back through the API. A smoke test of the script, not a
measurement: no figure is asserted, only that payments were paid through the real path and
the run left no error behind.

It needs a PostgreSQL server (ZHIFU_BENCH_DATABASE_URL, else the benchmark's default) and
pgbench; without them it is skipped. Its cost is the two sites' migrations (about 20 s).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.demo import demo_env

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _server() -> str:
    psycopg = pytest.importorskip("psycopg")
    url = os.environ.get("ZHIFU_BENCH_DATABASE_URL", DEFAULT_URL)
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error:
        pytest.skip(f"no PostgreSQL server at {url}")
    return url


@pytest.mark.slow
def test_the_payments_benchmark_pays_through_the_real_path() -> None:
    url = _server()
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "payments.py"), "--database-url", url,
         "--clients", "1", "--seconds", "1", "--warmup", "0.5", "--verify-every", "1",
         "--profile", "2"],
        env=demo_env(), cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if "pgbench not found" in done.stderr:
        pytest.skip("pgbench is not installed")
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    # Paid one at a time after the load, so the count does not hang on the machine's speed.
    assert "profile: 2 of 2 payments paid, 2 read back as succeeded; errors: none" in out, out
    assert "errors in the window: none" in out, out
    paid = re.search(r"\(a\) paid payments: (\d+) in", out)
    back = re.search(r"read back through the API: (\d+) of (\d+) succeeded", out)
    assert paid, out
    assert back, out
    assert back.group(1) == back.group(2) == paid.group(1), out  # --verify-every 1: each one
    assert "ledger check after the run: 0 violations" in out, out
    for figure in ("pgbench TPC-B:", "argon2id (m=", "(b) confirmations:", "(c) CPU per paid"):
        assert figure in out, out


def test_it_refuses_anything_but_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    from zhifu.cli import main

    assert main(["bench", "payments", "--database-url", "sqlite:///x.sqlite3"]) == 1
    assert "the payments benchmark needs PostgreSQL" in capsys.readouterr().err


def test_the_shared_pieces_are_no_benchmark(capsys: pytest.CaptureFixture[str]) -> None:
    from zhifu.cli import main

    assert main(["bench", "_shared"]) == 2
    err = capsys.readouterr().err
    assert "no benchmark '_shared'" in err
    assert "ledger, payments, vault_crypto" in err
