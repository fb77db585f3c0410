"""Merchant-API requests per second through gunicorn, against pgbench's tps.

    .venv/bin/python bench/api.py [--clients 4] [--seconds 10] [--database-url URL] [--sqlite]
    .venv/bin/zhifu bench api [the same options]      (the same script, from a checkout)

The wallet and cardnet run as in bench/payments.py (`zhifu serve`: gunicorn, production
settings; demo mode only for generated secrets), on scratch PostgreSQL databases, or with
--sqlite on their default SQLite files. Each load client is a shop sending, for every paid
payment, the seven calls of docs/api.md's flow, one after another on a keep-alive
connection with its Bearer key and an Idempotency-Key on every POST:

    create    POST /api/v1/payments              (manual capture)
    retrieve  GET  /api/v1/payments/{id}          (the one just created)
    list      GET  /api/v1/payments?limit=10
    capture   POST /api/v1/payments/{id}/capture  (a payment the buyer authorized)
    refund    POST /api/v1/refunds                (1 minor unit of the captured payment)
    retrieve  GET  /api/v1/payments/{id}          (the captured one)
    refunds   GET  /api/v1/refunds?payment={id}

The buyer's part (the cashier and its payment password) is bench/payments.py's, not the
API's: each client gets --pool payments authorized before the run (through the payments
services, as the cashier does), and once its pool is spent a unit's capture becomes a
second refund of the last captured payment (the same work: a card-network call, a ledger
entry, an event). Prints requests/s and its ratio to pgbench's tps, p50/p99 latency per
call, the CPU milliseconds per request (wallet, cardnet, their PostgreSQL backends, the
clients) and, in this process with Django's test client, the SQL statements and the CPU
milliseconds of each call. Figures and how to read them: docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import _shared
import payments as pay
from _shared import BenchError

CALLS = ("create", "retrieve", "list", "capture", "refund", "refunds")
LOCKED = "database is locked"


def add_arguments(p: argparse.ArgumentParser) -> None:
    _shared.add_common_arguments(p, clients=4, seconds=10.0)
    p.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    p.add_argument(
        "--workers",
        type=_counts,
        default=[2],
        help="the wallet's gunicorn workers; a list (2,1) runs the mix once with each "
        "on the same sites (default 2)",
    )
    p.add_argument("--threads", type=int, default=4, help="threads per wallet worker")
    p.add_argument("--cardnet-workers", type=int, default=1, help="cardnet's gunicorn workers")
    p.add_argument(
        "--pool", type=int, default=20, help="authorized payments per client (default 20)"
    )
    p.add_argument(
        "--sqlite", action="store_true", help="the sites on their default SQLite databases"
    )
    p.add_argument(
        "--repeat",
        type=int,
        default=20,
        help="calls of each kind timed in this process for the CPU per call (default 20)",
    )
    p.add_argument("--pgbench-tps", type=float, default=0.0, help="measured already: skip pgbench")
    p.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    p.add_argument("--keep-logs", action="store_true", help="keep the servers' logs and data")


def _counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("a number, or numbers separated by commas") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("worker counts must be positive")
    return counts


# --- the pool of authorized payments -------------------------------------------------------


def _authorize(n: int, count: int, queue: mp.Queue[tuple[int, list[str]]]) -> None:
    """Buyer n authorizes `count` new payments of the platform, as the cashier does."""
    from zhifu.accounts import services as accounts
    from zhifu.accounts.models import User
    from zhifu.credentials import services as credentials
    from zhifu.kernel.money import Money
    from zhifu.payments import services as payments
    from zhifu.payments.domain import CaptureMethod
    from zhifu.vault import services as vault

    platform = accounts.platform_by_slug(_shared.PLATFORM)
    user = User.objects.get(email=f"buyer{n}@bench.example")
    card = vault.list_cards(user)[0]
    made = []
    for i in range(count):
        payment = payments.create_payment(
            platform,
            amount=Money(pay.AMOUNT, pay.CURRENCY),
            order_reference=f"pool-{n}-{i}",
            return_url="https://shop.example/back",
            capture_method=CaptureMethod.MANUAL,
            metadata={},
        )
        proof = credentials.step_up(user, _shared.PIN, payments.pay_action(payment.id))
        outcome = payments.pay_with_saved_card(user, payment.id, card_id=card.id, step_up=proof)
        if isinstance(outcome, payments.Paid):
            made.append(payment.id)
    queue.put((n, made))


def authorize_pool(clients: int, each: int) -> dict[int, list[str]]:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue: mp.Queue[tuple[int, list[str]]] = ctx.Queue()
    procs = [ctx.Process(target=_authorize, args=(n, each, queue)) for n in range(clients)]
    for proc in procs:
        proc.start()
    found = dict(queue.get(timeout=600) for _ in procs)
    for proc in procs:
        proc.join()
    return found


# --- the load clients --------------------------------------------------------------------


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in CALLS})
    requests: int = 0
    units: int = 0
    captures: int = 0
    errors: Counter[str] = field(default_factory=Counter)


class _Shop:
    """One shop's keep-alive connection to the wallet's API, with its own pool."""

    def __init__(self, n: int, wallet_url: str, api_key: str, pool: list[str]) -> None:
        self.n, self.pool = n, list(pool)
        self.conn = pay._Http(wallet_url)
        self.headers = {"Host": urlsplit(wallet_url).netloc, "Authorization": f"Bearer {api_key}"}
        self.captured: str | None = None
        self.out = Tally()

    def call(
        self, kind: str, method: str, path: str, body: dict[str, Any] | None, counting: bool
    ) -> dict[str, Any] | None:
        headers = dict(self.headers)
        data = None
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
            headers["Content-Type"] = "application/json"
            data = json.dumps(body or {}).encode()
        started = time.monotonic()
        status, _, answer = self.conn.request(method, path, data, headers)
        took = (time.monotonic() - started) * 1000
        if status >= 300:
            if counting:
                self.out.errors[f"{kind} {status}"] += 1
                if LOCKED in answer.decode("utf-8", "replace"):
                    self.out.errors[LOCKED] += 1
            return None
        if counting:
            self.out.latencies[kind].append(took)
            self.out.requests += 1
        parsed: dict[str, Any] = json.loads(answer)
        return parsed

    def unit(self, number: int, counting: bool) -> None:
        """The seven calls of one paid payment."""
        created = self.call("create", "POST", "/api/v1/payments", {
            "amount": pay.AMOUNT, "currency": pay.CURRENCY, "capture_method": "manual",
            "order_reference": f"api-{self.n}-{number}", "return_url": "https://shop.example/r",
            "metadata": {"client": str(self.n)},
        }, counting)  # fmt: skip
        if created is not None:
            self.call("retrieve", "GET", f"/api/v1/payments/{created['id']}", None, counting)
        self.call("list", "GET", "/api/v1/payments?limit=10", None, counting)
        if self.pool:
            target = self.pool.pop()
            if self.call("capture", "POST", f"/api/v1/payments/{target}/capture", {}, counting):
                self.captured = target
                self.out.captures += counting
        elif self.captured:
            self._refund(counting)
        if self.captured is None:
            return
        self._refund(counting)
        self.call("retrieve", "GET", f"/api/v1/payments/{self.captured}", None, counting)
        self.call("refunds", "GET", f"/api/v1/refunds?payment={self.captured}&limit=10", None,
                  counting)  # fmt: skip
        self.out.units += counting

    def _refund(self, counting: bool) -> None:
        assert self.captured is not None
        self.call("refund", "POST", "/api/v1/refunds", {"payment": self.captured, "amount": 1},
                  counting)  # fmt: skip


def _client(
    n: int,
    wallet_url: str,
    api_key: str,
    pool: list[str],
    window: tuple[float, float],
    queue: mp.Queue[Tally],
) -> None:
    t0, t1 = window
    shop = _Shop(n, wallet_url, api_key, pool)
    number = 0
    while time.monotonic() < t1:
        number += 1
        try:
            shop.unit(number, t0 <= time.monotonic() <= t1)
        except (OSError, ValueError, KeyError) as exc:
            shop.out.errors[type(exc).__name__] += 1
    shop.conn.close()
    queue.put(shop.out)


@dataclass(frozen=True)
class Load:
    seconds: float
    tally: Tally
    cpu: dict[str, float]
    machine_busy: float
    unseen: set[str]
    transactions: dict[str, int]


def run_load(
    args: argparse.Namespace, sites: _shared.Sites, api_key: str, pools: dict[int, list[str]]
) -> Load:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue: mp.Queue[Tally] = ctx.Queue()
    t0 = time.monotonic() + 0.5 + args.warmup
    t1 = t0 + args.seconds
    procs = [
        ctx.Process(
            target=_client, args=(n, sites.wallet_url, api_key, pools.get(n, []), (t0, t1), queue)
        )
        for n in range(args.clients)
    ]
    for proc in procs:
        proc.start()
    pids = [p.pid for p in procs if p.pid is not None]
    with pay._maintenance(sites) as conn:
        time.sleep(max(0.0, t0 - time.monotonic()))
        before = pay.snapshot(sites, pids, conn)
        time.sleep(max(0.0, t1 - time.monotonic()))
        after = pay.snapshot(sites, pids, conn)
    tallies = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join()
    total = Tally()
    for t in tallies:
        for kind, times in t.latencies.items():
            total.latencies[kind] += times
        total.requests += t.requests
        total.units += t.units
        total.captures += t.captures
        total.errors += t.errors
    spent, _ = pay.cpu_delta(before, after)
    return Load(
        after.at - before.at,
        total,
        spent,
        after.machine_busy - before.machine_busy,
        before.unseen | after.unseen,
        {db: n - before.transactions[db] for db, n in after.transactions.items()},
    )


# --- statements and CPU per request, in this process ---------------------------------------


@dataclass(frozen=True)
class PerCall:
    statements: dict[str, int]  # SQL statements of one call, every database alias
    cpu_ms: dict[str, float]  # this process's CPU milliseconds per call, over `repeat` calls


def per_call(sites: _shared.Sites, api_key: str, pool: list[str], repeat: int) -> PerCall:
    """The SQL statements each call of the mix sends, on every database alias, and the CPU
    milliseconds it costs, through Django's test client in this process (the same settings,
    middleware and databases as the servers; each kind sent once before, so per-process
    caches are as under load). The statements are counted on one call; the CPU is
    time.process_time over `repeat` calls not counted (counting slows every statement),
    so it does not depend on the machine's load; capture and refund include the card
    network's HTTP call as the wallet makes it (its client side), not cardnet's work.
    `pool` holds `repeat` + 2 authorized payments."""
    from django.test import Client

    client = Client(
        HTTP_HOST=urlsplit(sites.wallet_url).netloc, HTTP_AUTHORIZATION=f"Bearer {api_key}"
    )

    def post(path: str, body: dict[str, Any]) -> Any:
        return client.post(path, json.dumps(body), content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))  # fmt: skip

    def new() -> Any:
        return post("/api/v1/payments", {
            "amount": pay.AMOUNT, "currency": pay.CURRENCY, "capture_method": "manual",
            "order_reference": f"count-{uuid.uuid4().hex[:8]}", "metadata": {},
            "return_url": "https://shop.example/r",
        })  # fmt: skip

    def checked(kind: str, response: Any) -> Any:
        if response.status_code >= 300:
            raise BenchError(f"{kind} answered {response.status_code}: {response.content[:200]!r}")
        return response

    warm, target, *rest = pool
    captures = iter([target, *rest])
    created = new().json()["id"]
    post(f"/api/v1/payments/{warm}/capture", {})
    post("/api/v1/refunds", {"payment": warm, "amount": 1})
    sends: dict[str, Callable[[], Any]] = {
        "create": new,
        "retrieve": lambda: client.get(f"/api/v1/payments/{created}"),
        "list": lambda: client.get("/api/v1/payments?limit=10"),
        "capture": lambda: post(f"/api/v1/payments/{next(captures)}/capture", {}),
        "refund": lambda: post("/api/v1/refunds", {"payment": target, "amount": 1}),
        "refunds": lambda: client.get(f"/api/v1/refunds?payment={target}&limit=10"),
    }
    for kind in ("retrieve", "list", "refunds"):
        checked(kind, sends[kind]())  # warm: the key's row, the first query's compilation
    statements: dict[str, int] = {}
    for kind, send in sends.items():
        response, counted, _ = _shared.counted(send)
        checked(kind, response)
        statements[kind] = sum(counted.values())
    cpu_ms: dict[str, float] = {}
    for kind, send in sends.items():
        started = time.process_time()
        for _ in range(repeat):
            checked(kind, send())
        cpu_ms[kind] = (time.process_time() - started) * 1000 / repeat
    return PerCall(statements, cpu_ms)


# --- the run -------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The mix once per --workers count, on one pair of sites migrated and seeded once: the
    figures of each run, printed and returned (bench/all.py reads them as JSON)."""
    _shared.check_common_arguments(args, "api")
    suffix = f"{os.getpid()}_api"
    data_dir = Path(tempfile.mkdtemp(prefix="zhifu-bench-api-"))
    sites = _shared.Sites(args.database_url, suffix, data_dir, sqlite=args.sqlite)
    pgbench_db = f"zhifu_bench_api_pgbench_{suffix}"
    scale = args.pgbench_scale or args.clients
    label = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"zhifu bench api: {args.clients} clients, {args.seconds:g} s, {label}, "
          f"workers {', '.join(map(str, args.workers))}")  # fmt: skip
    began = time.perf_counter()

    def step(what: str) -> None:
        print(f"  [{time.perf_counter() - began:4.0f} s] {what} ...", flush=True)

    tps = args.pgbench_tps
    names = list(sites.databases.values()) + ([] if tps else [pgbench_db])
    runs = []
    with _shared.scratch(args, names):
        if not tps:
            step(f"pgbench TPC-B (scale {scale})")
            tps = _shared.pgbench_tps(args, _shared.with_db(args.database_url, pgbench_db), scale)
            _shared.drop_db(args.database_url, pgbench_db)
        step("migrating the wallet and cardnet")
        sites.prepare()
        os.environ.update(sites.env(), ZHIFU_LOG_LEVEL="WARNING")  # this process only
        from zhifu.config.runtime import setup_site

        setup_site("wallet")
        seeded: _shared.Seeded | None = None
        for workers in args.workers:
            try:
                step(f"starting the wallet: {workers} workers x {args.threads} threads")
                sites.start(argparse.Namespace(
                    cardnet_workers=args.cardnet_workers,
                    wallet_workers=workers,
                    wallet_threads=args.threads,
                ))  # fmt: skip
                if seeded is None:
                    step(f"seeding {args.clients} buyers (saved cards verified by cardnet)")
                    seeded = _shared.seed(args.clients)
                step(f"{args.pool} authorized payments per client")
                pools = authorize_pool(args.clients, args.pool)
                counting_pool = authorize_pool(1, args.repeat + 2)[0]
                step(f"the API mix: {args.warmup:g} s warm-up, then {args.seconds:g} s")
                load = run_load(args, sites, seeded.api_key, pools)
                step(f"statements and CPU per request ({args.repeat} of each, in this process)")
                calls = per_call(sites, seeded.api_key, counting_pool, args.repeat)
                from zhifu.ledger import services as ledger

                violations = len(ledger.check())
            finally:
                sites.stop()
                sites.procs.clear()
            locked = _locked_in_logs(data_dir)
            runs.append(_figures(args, workers, tps, scale, load, calls, violations, locked))
        step("dropping the databases")
    for figures in runs:
        _report(figures)
    print(f"(whole run: {time.perf_counter() - began:.0f} s)")
    if args.keep_logs:
        print(f"servers' logs and data: {data_dir}")
    else:
        _shared.remove(data_dir)
    return runs


def _locked_in_logs(data_dir: Path) -> int:
    found = 0
    for log in data_dir.glob("*.log"):
        found += log.read_text(errors="replace").count(LOCKED)
    return found


def _figures(
    args: argparse.Namespace,
    workers: int,
    tps: float,
    scale: int,
    load: Load,
    calls: PerCall,
    violations: int,
    locked: int,
) -> dict[str, Any]:
    t = load.tally
    per_s = t.requests / load.seconds if load.seconds else 0.0
    cpu_ms = {
        group: (
            None if group in load.unseen else seconds * 1000 / t.requests if t.requests else None
        )
        for group, seconds in load.cpu.items()
    }
    transactions = {
        db: round(n / t.requests, 2) if t.requests else None for db, n in load.transactions.items()
    }
    if args.sqlite:  # inside the web processes: their CPU has it, PostgreSQL's counts none
        cpu_ms = {g: ms for g, ms in cpu_ms.items() if not g.endswith(" db")}
        transactions = {}
    cpus = os.cpu_count() or 1
    ours = sum(load.cpu.values())
    spent = sum(ms for ms in cpu_ms.values() if ms is not None)
    return {
        "database": "sqlite" if args.sqlite else "postgresql",
        "clients": args.clients,
        "seconds": round(load.seconds, 2),
        "workers": workers,
        "threads": args.threads,
        "pgbench_tps": round(tps, 1),
        "pgbench_scale": scale,
        "requests": t.requests,
        "requests_per_s": round(per_s, 2),
        "ratio_to_pgbench": round(per_s / tps, 4) if tps else None,
        "paid_payments": t.units,
        "captures": t.captures,
        "latency_ms": {kind: _latency(times) for kind, times in t.latencies.items()},
        "latency_all_ms": _latency([ms for times in t.latencies.values() for ms in times]),
        "cpu_ms_per_request": {g: None if v is None else round(v, 2) for g, v in cpu_ms.items()},
        "transactions_per_request": transactions,
        "statements_per_request": calls.statements,
        "in_process_cpu_ms": {kind: round(ms, 2) for kind, ms in calls.cpu_ms.items()},
        # What the machine's CPUs would serve if the run had them to itself.
        "cpu_ceiling_per_s": round(cpus * 1000 / spent, 1) if spent else None,
        "machine_busy": round(load.machine_busy / load.seconds / cpus, 2) if load.seconds else None,
        "our_share": round(ours / load.machine_busy, 2) if load.machine_busy else None,
        "errors": dict(t.errors),
        "database_locked": t.errors.get(LOCKED, 0) + locked,
        "ledger_violations": violations,
    }


def _latency(times: list[float]) -> dict[str, Any]:
    if not times:
        return {"count": 0, "p50": None, "p99": None}
    p50, p99 = pay._percentile(times, 50), pay._percentile(times, 99)
    return {"count": len(times), "p50": round(p50, 1), "p99": round(p99, 1)}


def _report(f: dict[str, Any]) -> None:
    print()
    print(f"pgbench TPC-B: {f['pgbench_tps']:,.0f} tps (scale {f['pgbench_scale']}, "
          f"{f['clients']} clients)")  # fmt: skip
    print(
        f"(a) API requests: {f['requests']} in {f['seconds']:.1f} s = "
        f"{f['requests_per_s']:,.1f}/s on {f['database']} "
        f"({f['workers']} workers x {f['threads']} threads); "
        f"÷ pgbench tps = {f['ratio_to_pgbench']}"
    )
    print(f"    paid payments through the API: {f['paid_payments']} "
          f"({f['captures']} captured from the pool)")  # fmt: skip
    tx = ", ".join(f"{db} {n}" for db, n in f["transactions_per_request"].items())
    print(f"    PostgreSQL transactions per request: {tx or 'none (SQLite)'}")
    cpu = f["cpu_ms_per_request"]
    print("(b) CPU per request: " + ", ".join(
        f"{g} {'n/a' if ms is None else f'{ms:.1f} ms'}" for g, ms in cpu.items()
    ))  # fmt: skip
    print(f"    sum: the machine's CPUs to themselves would serve {f['cpu_ceiling_per_s']}/s")
    print(f"    the machine's CPUs were {f['machine_busy']:.0%} busy, "
          f"{f['our_share'] or 0:.0%} of it this run's")  # fmt: skip
    print(f"    {'call':<10}{'count':>7}{'p50 ms':>8}{'p99 ms':>8}{'SQL':>6}{'CPU ms':>8}")
    rows = [*f["latency_ms"].items(), ("all", f["latency_all_ms"])]
    for kind, lat in rows:
        sql = f["statements_per_request"].get(kind, "")
        cpu = f["in_process_cpu_ms"].get(kind)
        p50, p99 = (f"{lat[q]:.1f}" if lat[q] is not None else "-" for q in ("p50", "p99"))
        shown = "" if cpu is None else f"{cpu:.1f}"
        print(f"    {kind:<10}{lat['count']:>7}{p50:>8}{p99:>8}{sql:>6}{shown:>8}")
    print(
        "    (SQL and CPU ms: one call's statements and the wallet's CPU per call, sent "
        "in this process through Django's test client)"
    )
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(f["errors"].items())) or "none"
    print(f"errors in the window: {errors}")
    print(f"'database is locked': {f['database_locked']}")
    print(f"ledger check after the run: {f['ledger_violations']} violations")


def _run(args: argparse.Namespace) -> None:
    if args.pool < 1 or args.threads < 1 or args.warmup < 0:
        raise BenchError("--pool and --threads must be positive")
    runs = measure(args)
    if args.json:
        args.json.write_text(json.dumps({"benchmark": "api", "runs": runs}, indent=2))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (`zhifu bench api` calls this too); the exit status."""
    return _shared.cli("api", __doc__, add_arguments, _run, argv)


if __name__ == "__main__":
    sys.exit(main())
