"""Every benchmark on the same PostgreSQL server, one table of figures and ratios.

    .venv/bin/python bench/all.py [--clients 4] [--seconds 10] [--json PATH] [--only NAMES]
    .venv/bin/zhifu bench all [the same options]      (the same script, from a checkout)

Runs, one after another, each as its own process (each configures Django for its own
databases): pgbench's TPC-B (the yardstick of the API runs), bench/ledger.py, bench/api.py
on PostgreSQL with 2, 1 and 4 wallet workers, bench/api.py on the default SQLite files
with 4 workers, bench/payments.py and bench/vault_crypto.py with a smaller count. Then it
prints the machine, the versions and settings, and one table: each figure, its ratio and
the target of issue 15; --json writes the same, with every run's own figures, to a file.
At the defaults the whole run takes about six minutes. docs/performance.md explains the
figures and how to reproduce each one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _shared
from _shared import BenchError

HERE = Path(__file__).resolve().parent
PARTS = ("pgbench", "ledger", "api", "sqlite", "payments", "vault_crypto")
LEDGER_ROW = re.compile(r"^(\S.*?)\s{2,}([\d,]+)\s+([\d,]+)\s+([\d.]+)\s+([\d.]+)\s*$")


def add_arguments(p: argparse.ArgumentParser) -> None:
    _shared.add_common_arguments(p, clients=4, seconds=10.0)
    p.add_argument("--json", type=Path, help="also write the table and every figure here")
    p.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"a comma-separated subset of {', '.join(PARTS)} (default: all of them)",
    )
    p.add_argument("--pool", type=int, default=10, help="bench/api.py's --pool (default 10)")
    p.add_argument("--vault-count", type=int, default=100_000, help="bench/vault_crypto's --count")


# --- the machine -----------------------------------------------------------------------------


def machine(url: str) -> dict[str, Any]:
    import psycopg

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "n/a"

    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem = re.search(r"MemTotal:\s*(\d+) kB", meminfo)
    settings = ("server_version", "shared_buffers", "synchronous_commit", "fsync",
                "max_connections", "wal_level")  # fmt: skip
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
        pg = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in settings}  # type: ignore[index]
    from zhifu.credentials import hashing

    try:
        commit = subprocess.run(
            ["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = "n/a"
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "cpu_model": model.group(1).strip() if model else platform.processor() or "n/a",
        "memory_gib": round(int(mem.group(1)) / 2**20, 1) if mem else None,
        "kernel": platform.release(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "django": version("django"),
        "psycopg": version("psycopg"),
        "gunicorn": version("gunicorn"),
        "argon2_cffi": version("argon2-cffi"),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "argon2id": {"m_kib": hashing.MEMORY_KIB, "t": hashing.TIME_COST, "p": hashing.PARALLELISM},
    }


# --- the parts -------------------------------------------------------------------------------


def _script(name: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """bench/NAME.py in its own process; its output is shown as it goes."""
    command = [sys.executable, str(HERE / f"{name}.py"), *argv]
    print(f"\n$ zhifu bench {name} {' '.join(argv)}", flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    sys.stdout.write(done.stdout)
    sys.stderr.write(done.stderr)
    if done.returncode != 0:
        raise BenchError(f"bench {name} failed (status {done.returncode})")
    return done


def _with_json(name: str, *argv: str) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.json"
        _script(name, *argv, "--json", str(out))
        return json.loads(out.read_text())


def ledger_part(args: argparse.Namespace, common: list[str]) -> dict[str, Any]:
    done = _script("ledger", *common, "--large", "100000")
    rows = {}
    for line in done.stdout.splitlines():
        if m := LEDGER_ROW.match(line):
            rows[m.group(1)] = {"entries_per_s": float(m.group(2).replace(",", "")),
                                "entries_ratio_to_pgbench": float(m.group(5))}  # fmt: skip
    tps = re.search(r"pgbench TPC-B: ([\d,]+) tps", done.stdout)
    return {
        "pgbench_tps": float(tps.group(1).replace(",", "")) if tps else None,
        "workloads": rows,
        "output": done.stdout.splitlines()[-12:],
    }


def vault_part(args: argparse.Namespace) -> dict[str, Any]:
    done = _script("vault_crypto", "--count", str(args.vault_count))
    seals = re.search(r"= ([\d,]+)/s", done.stdout)
    reused = [int(n) for n in re.findall(r"\((\d+) reused\)", done.stdout)]
    return {
        "seals_per_s": float(seals.group(1).replace(",", "")) if seals else None,
        "count": args.vault_count,
        "reused_nonces": sum(reused),
    }


# --- the table -------------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def table(found: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of figure, value, ratio and target (None: no target, a yardstick or a count)."""
    rows: list[dict[str, Any]] = []

    def row(figure: str, value: Any, ratio: float | None = None, target: str = "") -> None:
        met = None
        if ratio is not None and target.startswith("≥"):
            met = ratio >= float(target.split()[1])
        elif target == "0":
            met = value == 0
        rows.append({"figure": figure, "value": value, "ratio": ratio, "target": target,
                     "met": met})  # fmt: skip

    tps = found.get("pgbench_tps")
    if tps:
        row("pgbench TPC-B tps (the yardstick)", tps)
    if ledger := found.get("ledger"):
        for label, w in ledger["workloads"].items():
            row(f"ledger entries/s, {label} ÷ its pgbench", w["entries_per_s"],
                w["entries_ratio_to_pgbench"], "≥ 0.5")  # fmt: skip
        random_ = ledger["workloads"].get("random accounts", {}).get("entries_per_s")
        hot = next((w["entries_per_s"] for k, w in ledger["workloads"].items()
                    if k.startswith("hot merchant") and "1 row" not in k), None)  # fmt: skip
        if random_ and hot:
            row("ledger hot merchant ÷ random accounts", hot, _ratio(hot, random_), "≥ 0.9")
    runs = {r["workers"]: r for r in found.get("api", [])}
    if two := runs.get(2):
        row("API requests/s, PostgreSQL, 2 workers ÷ pgbench", two["requests_per_s"],
            two["ratio_to_pgbench"], "≥ 0.35")  # fmt: skip
        row("API requests/s on idle CPUs (2 workers, from CPU/request)",
            two.get("cpu_ceiling_per_s"))  # fmt: skip
        lat = two["latency_all_ms"]
        row("API latency p50 / p99 ms (2 workers, all calls)", f"{lat['p50']} / {lat['p99']}")
        sql = two["statements_per_request"]
        row("API SQL statements per paid payment (7 calls)",
            sql.get("create", 0) + 2 * sql.get("retrieve", 0) + sum(
                sql.get(k, 0) for k in ("list", "capture", "refund", "refunds")))  # fmt: skip
    if (one := runs.get(1)) and two:
        row("API 2 workers ÷ 1 worker, PostgreSQL", two["requests_per_s"],
            _ratio(two["requests_per_s"], one["requests_per_s"]), "≥ 1.7")  # fmt: skip
    lite = found.get("sqlite", [])
    if lite and (four := runs.get(4)):
        s = lite[0]
        row("API SQLite ÷ PostgreSQL, 4 workers", s["requests_per_s"],
            _ratio(s["requests_per_s"], four["requests_per_s"]), "≥ 1.0")  # fmt: skip
        row("SQLite 'database is locked' errors", s["database_locked"], None, "0")
    if pay := found.get("payments"):
        row("cashier confirmations/s ÷ argon2id verifications/s", pay["confirmations_per_s"],
            pay["confirmations_ratio_to_argon2id"], "≥ 0.9")  # fmt: skip
        row("wallet CPU ms per paid payment", pay["cpu_ms_per_paid"].get("wallet"))
        row("wallet db transactions per paid payment", pay["transactions_per_paid"]["wallet db"])
    if vault := found.get("vault_crypto"):
        row(f"vault seals/s ({vault['count']:,} seals)", vault["seals_per_s"])
        row("vault reused nonces", vault["reused_nonces"], None, "0")
    return rows


def print_table(found: dict[str, Any]) -> None:
    m = found["machine"]
    pg = m["postgresql"]
    print("\n=== zhifu bench all ===")
    print(f"machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, "
          f"Linux {m['kernel']}, load average at the start {m['load_average']}")  # fmt: skip
    print(f"versions: zhifu {m['commit']}, Python {m['python']}, Django {m['django']}, "
          f"psycopg {m['psycopg']}, gunicorn {m['gunicorn']}, SQLite {m['sqlite']}, "
          f"PostgreSQL {pg['server_version']}")  # fmt: skip
    print(f"settings: PostgreSQL shared_buffers {pg['shared_buffers']}, synchronous_commit "
          f"{pg['synchronous_commit']}, fsync {pg['fsync']}; argon2id m={m['argon2id']['m_kib']}"
          f" KiB t={m['argon2id']['t']} p={m['argon2id']['p']}; {found['clients']} clients, "
          f"{found['seconds']:g} s per run; wallet threads 4, cardnet 1 worker")  # fmt: skip
    print(f"\n{'figure':<60}{'value':>14}{'ratio':>8}  {'target':<7}")
    for r in found["table"]:
        value = r["value"]
        shown = f"{value:,.1f}" if isinstance(value, float) else str(value)
        ratio = "" if r["ratio"] is None else f"{r['ratio']:.3f}"
        mark = {True: "met", False: "not met", None: ""}[r["met"]]
        print(f"{r['figure']:<60}{shown:>14}{ratio:>8}  {r['target']:<7}{mark}")
    print(f"(whole run: {found['whole_run_s']:.0f} s)")


# --- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    _shared.check_common_arguments(args, "all")
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise BenchError(f"--only: no part {', '.join(sorted(unknown))} ({', '.join(PARTS)})")
    began = time.perf_counter()
    found: dict[str, Any] = {
        "benchmark": "all",
        "machine": machine(args.database_url),
        "clients": args.clients,
        "seconds": args.seconds,
    }
    common = ["--database-url", args.database_url, "--clients", str(args.clients),
              "--seconds", f"{args.seconds:g}", "--pgbench", args.pgbench]  # fmt: skip
    if args.pgbench_scale:
        common += ["--pgbench-scale", str(args.pgbench_scale)]
    if "pgbench" in parts or "api" in parts or "sqlite" in parts:
        name = f"zhifu_bench_all_pgbench_{os.getpid()}"
        _shared.create_db(args.database_url, name)
        try:
            print("pgbench TPC-B ...", flush=True)
            scale = args.pgbench_scale or args.clients
            found["pgbench_tps"] = _shared.pgbench_tps(
                args, _shared.with_db(args.database_url, name), scale
            )
            print(f"pgbench TPC-B: {found['pgbench_tps']:,.0f} tps (scale {scale})")
        finally:
            _shared.drop_db(args.database_url, name)
    api = [*common, "--pgbench-tps", str(found.get("pgbench_tps", 0)), "--pool", str(args.pool)]
    if "ledger" in parts:
        found["ledger"] = ledger_part(args, common)
    if "api" in parts:
        found["api"] = _with_json("api", *api, "--workers", "2,1,4")["runs"]
    if "sqlite" in parts:
        found["sqlite"] = _with_json("api", *api, "--sqlite", "--workers", "4")["runs"]
    if "payments" in parts:
        found["payments"] = _with_json("payments", *common, "--profile", "10")
    if "vault_crypto" in parts:
        found["vault_crypto"] = vault_part(args)
    found["table"] = table(found)
    found["whole_run_s"] = round(time.perf_counter() - began, 1)
    return found


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark (`zhifu bench all` calls this too); the exit status."""
    parser = argparse.ArgumentParser(prog="bench/all.py", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        found = run(args)
    except BenchError as exc:
        print(f"bench all: {exc}", file=sys.stderr)
        return 1
    print_table(found)
    if args.json:
        args.json.write_text(json.dumps(found, indent=2, ensure_ascii=False))
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
