"""What the benchmarks share: their common options, scratch databases on the PostgreSQL
server, pgbench's TPC-B as the yardstick, and CPU time read from /proc.

Not a benchmark itself (`zhifu bench` skips modules whose names start with "_"); a
benchmark imports it as `import _shared` (bench/ is on sys.path both under `zhifu bench` and
under `python bench/NAME.py`).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
T = TypeVar("T")


class BenchError(Exception):
    """The run cannot start or went wrong: one line on stderr, status 1."""


def add_common_arguments(p: argparse.ArgumentParser, *, clients: int, seconds: float) -> None:
    """--database-url, --clients, --seconds and the pgbench options every benchmark takes."""
    p.add_argument(
        "--database-url",
        default=os.environ.get("ZHIFU_BENCH_DATABASE_URL", DEFAULT_URL),
        help="a PostgreSQL server's maintenance database; scratch databases are "
        "created beside it (default $ZHIFU_BENCH_DATABASE_URL or %(default)s)",
    )
    p.add_argument(
        "--clients", type=int, default=clients, help=f"concurrent clients (default {clients})"
    )
    p.add_argument(
        "--seconds", type=float, default=seconds, help=f"length of each run (default {seconds:g})"
    )
    p.add_argument(
        "--pgbench-scale",
        type=int,
        default=0,
        help="pgbench scale factor (default: the number of clients, so TPC-B's branch "
        "rows are not an artificial hot spot)",
    )
    p.add_argument("--pgbench", default=find_pgbench(), help="pgbench executable")


def check_common_arguments(args: argparse.Namespace, benchmark: str) -> None:
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise BenchError(f"the {benchmark} benchmark needs PostgreSQL (--database-url)")
    if args.clients < 1 or args.seconds <= 0:
        raise BenchError("--clients and --seconds must be positive")


def find_pgbench() -> str:
    for candidate in ("/usr/lib/postgresql/15/bin/pgbench", "/usr/bin/pgbench"):
        if os.path.exists(candidate):
            return candidate
    return "pgbench"


# --- scratch databases -------------------------------------------------------------------


def with_db(url: str, name: str) -> str:
    """The same server's URL, naming database `name`."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def admin(url: str, sql: str) -> None:
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)
    except psycopg.Error as exc:
        raise BenchError(f"{sql.split()[0].lower()} failed: {exc}".strip()) from None


def create_db(url: str, name: str) -> None:
    admin(url, f'DROP DATABASE IF EXISTS "{name}"')
    admin(url, f'CREATE DATABASE "{name}"')


def drop_db(url: str, name: str) -> None:
    try:
        admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except BenchError as exc:
        print(f"  (could not drop {name}: {exc})", file=sys.stderr)


# --- pgbench -----------------------------------------------------------------------------


def pgbench_tps(args: argparse.Namespace, db_url: str, scale: int) -> float:
    """pgbench's TPC-B-like script on db_url (initialized at `scale`), with --clients
    connections and threads for --seconds: the server's transactions per second."""
    pgbench_init(args, db_url, scale)
    return pgbench_run(args, db_url, args.seconds)


def _pgbench_env(db_url: str) -> tuple[dict[str, str], str]:
    parts = urlsplit(db_url)
    env = {**os.environ, "PGHOST": parts.hostname or "127.0.0.1",
           "PGPORT": str(parts.port or 5432), "PGUSER": parts.username or "postgres"}  # fmt: skip
    if parts.password:
        env["PGPASSWORD"] = parts.password
    return env, parts.path.lstrip("/")


def _pgbench(args: argparse.Namespace, db_url: str, options: list[str]) -> str:
    env, dbname = _pgbench_env(db_url)
    try:
        done = subprocess.run(
            [args.pgbench, *options, dbname],
            env=env, check=True, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    except FileNotFoundError:
        raise BenchError(f"pgbench not found ({args.pgbench}); pass --pgbench PATH") from None
    except subprocess.CalledProcessError as exc:
        raise BenchError(f"pgbench failed: {exc.stderr.strip()[:300]}") from None
    return done.stdout


def pgbench_init(args: argparse.Namespace, db_url: str, scale: int) -> None:
    """`pgbench -i` at `scale` on db_url."""
    _pgbench(args, db_url, ["-i", "-q", "-s", str(scale)])


def pgbench_run(args: argparse.Namespace, db_url: str, seconds: float) -> float:
    """One run of TPC-B-like on an initialized db_url: --clients connections and threads
    for `seconds` (whole seconds, at least 1); its transactions per second."""
    clients = str(args.clients)
    out = _pgbench(args, db_url, ["-n", "-c", clients, "-j", clients,
                                  "-T", str(max(1, round(seconds)))])  # fmt: skip
    match = re.search(r"tps = ([0-9.]+)", out)
    if not match:
        raise BenchError("could not read tps from pgbench's output")
    return float(match.group(1))


# --- CPU time ----------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU a process has used so far (/proc/PID/stat), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def descendants(pid: int) -> list[int]:
    """pid and every process below it (gunicorn's arbiter and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


# --- statements per request --------------------------------------------------------------


def counted(send: Callable[[], T]) -> tuple[T, dict[str, int], int]:
    """Call send() (a request through Django's test client, in this process) and count
    the SQL it sent: statements per database alias, and transactions as PostgreSQL
    counts them (each statement outside BEGIN ... COMMIT is one; so is each BEGIN)."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    contexts = [CaptureQueriesContext(c) for c in connections.all()]
    for ctx in contexts:
        ctx.__enter__()
    try:
        result = send()
    finally:
        for ctx in contexts:
            ctx.__exit__(None, None, None)
    statements: dict[str, int] = {}
    transactions = 0
    if log := os.environ.get("ZHIFU_BENCH_SQL_LOG"):  # every statement, to read them
        with open(log, "a", encoding="utf-8") as out:
            for ctx in contexts:
                out.writelines(f"{ctx.connection.alias}\t{q['sql'][:300]}\n"
                               for q in ctx.captured_queries)  # fmt: skip
            out.write("--\n")
    for ctx in contexts:
        if not ctx.captured_queries:
            continue
        statements[ctx.connection.alias] = len(ctx.captured_queries)
        inside = False
        for query in ctx.captured_queries:
            word = query["sql"].split(None, 1)[0].upper() if query["sql"].strip() else ""
            if word == "BEGIN":
                inside, transactions = True, transactions + 1
            elif word in ("COMMIT", "ROLLBACK"):
                inside = False
            elif not inside:
                transactions += 1
    return result, statements, transactions
