"""`zhifu bench all` runs end to end with tiny settings: the API mix on PostgreSQL with 2, 1
and 4 wallet workers and on SQLite, pgbench and the vault's seals, then one table and its
JSON. A smoke test of the scripts, not a measurement: it checks the shape of what they
report and that the runs left no error behind, never a figure.

It needs a PostgreSQL server (ZHIFU_BENCH_DATABASE_URL, else the benchmark's default) and
pgbench; without them it is skipped. Its cost is the sites' migrations, on both databases.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.demo import demo_env
from tests.system.test_bench_payments import ROOT, _server

CALLS = {"create", "retrieve", "list", "capture", "refund", "refunds"}


@pytest.mark.slow
def test_bench_all_reports_every_part_as_a_table_and_as_json(tmp_path: Path) -> None:
    url = _server()
    out = tmp_path / "all.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "all.py"), "--database-url", url,
         "--clients", "1", "--seconds", "1", "--pool", "3", "--vault-count", "1000",
         "--only", "pgbench,api,sqlite,vault_crypto", "--json", str(out)],
        env=demo_env(), cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    if "pgbench not found" in done.stderr:
        pytest.skip("pgbench is not installed")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "=== zhifu bench all ===" in done.stdout, done.stdout
    found = json.loads(out.read_text())
    assert found["machine"]["cpus"] >= 1
    assert found["machine"]["postgresql"]["server_version"]
    runs = found["api"]
    assert [r["workers"] for r in runs] == [2, 1, 4]
    assert [r["database"] for r in runs + found["sqlite"]] == ["postgresql"] * 3 + ["sqlite"]
    for r in [*runs, *found["sqlite"]]:
        assert set(r["latency_ms"]) == CALLS
        assert set(r["statements_per_request"]) == CALLS
        assert all(n > 0 for n in r["statements_per_request"].values()), r
        assert r["errors"] == {}, r
        assert r["database_locked"] == 0
        assert r["ledger_violations"] == 0
    figures = {row["figure"] for row in found["table"]}
    for figure in (
        "pgbench TPC-B tps (the yardstick)",
        "API requests/s, PostgreSQL, 2 workers ÷ pgbench",
        "API 2 workers ÷ 1 worker, PostgreSQL",
        "API SQLite ÷ PostgreSQL, 4 workers",
        "vault reused nonces",
    ):
        assert figure in figures, figures
        assert figure in done.stdout
    assert next(r for r in found["table"] if r["figure"] == "vault reused nonces")["value"] == 0


def test_bench_all_refuses_an_unknown_part(capsys: pytest.CaptureFixture[str]) -> None:
    from zhifu.cli import main

    assert main(["bench", "all", "--only", "api,nope"]) == 1
    assert "--only: no part nope" in capsys.readouterr().err
