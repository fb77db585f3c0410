"""Payments created and paid per second through the real HTTP path, against its ceilings.

    .venv/bin/python bench/payments.py [--clients 4] [--seconds 15] [--database-url URL]
    .venv/bin/zhifu bench payments [the same options]      (the same script, from a checkout)

Everything runs on one PostgreSQL server, in scratch databases created for the run and
dropped afterwards, with the real servers (`zhifu serve wallet`, `zhifu serve cardnet`:
gunicorn, production hashing; demo mode only for generated secrets and plain-http cookies):

1. pgbench's TPC-B-like script (scale = clients, the same clients and seconds): the
   database server's transactions per second;
2. argon2id verifications per second of a payment password hashed by the credentials
   area with its production parameters, in as many processes as there are clients;
3. the wallet and cardnet migrated and started on their own databases, the wallet's card
   network being cardnet over HTTP; a platform, an API key, and one buyer per client
   registered with a payment password, a saved card (verified by cardnet, sealed by the
   vault) and a signed-in session;
4. each client, for the run's seconds after a warm-up: POST /api/v1/payments (Bearer key,
   Idempotency-Key) -> GET its cashier_url -> POST the cashier's saved-card form with the
   payment password -> GET the receipt; every tenth paid payment (--verify-every) is read
   back through GET /api/v1/payments/{id} and must say "succeeded";
5. then one buyer alone pays --profile payments one at a time, the CPU of every process
   read around each request.

Prints paid payments/s as a ratio to pgbench's tps, confirmations/s as a ratio to argon2id
verifications/s, the PostgreSQL transactions a payment takes, the CPU milliseconds each
paid payment cost in the wallet's gunicorn, in PostgreSQL (the backends of the wallet's,
the vault's and cardnet's databases), in cardnet and in the load clients (deltas of
/proc/PID/stat over the measured window), and per request p50/p99 latency and CPU. Nothing
is asserted, and `make test` does not run it (tests/system/test_bench_payments.py is its
smoke test). Figures and how to read them: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import _shared
from _shared import PIN, BenchError, Seeded, Sites, seed

AMOUNT, CURRENCY = 1250, "EUR"
REQUESTS = ("create", "cashier", "confirm", "receipt", "retrieve")
Headers = dict[str, str] | None
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def add_arguments(p: argparse.ArgumentParser) -> None:
    _shared.add_common_arguments(p, clients=4, seconds=15.0)
    p.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load before measuring (default 3)"
    )
    p.add_argument(
        "--wallet-workers", type=int, default=2, help="the wallet's gunicorn workers (default 2)"
    )
    p.add_argument("--wallet-threads", type=int, default=4, help="threads per wallet worker")
    p.add_argument("--cardnet-workers", type=int, default=1, help="cardnet's gunicorn workers")
    p.add_argument(
        "--verify-every",
        type=int,
        default=10,
        help="read every Nth paid payment back through the API (default 10)",
    )
    p.add_argument(
        "--profile",
        type=int,
        default=20,
        help="payments paid one at a time afterwards to split the CPU by request (default 20)",
    )
    p.add_argument("--json", type=Path, help="also write the figures as JSON to this file")
    p.add_argument("--keep-logs", action="store_true", help="keep the servers' logs and data")


# --- the argon2id ceiling ----------------------------------------------------------------


def _argon2_worker(seconds: float, queue: mp.Queue[tuple[int, float]]) -> None:
    from zhifu.credentials import hashing, services

    encoded = hashing.make(services.PIN, PIN)
    done = 0
    cpu = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        hashing.check(services.PIN, PIN, encoded)
        done += 1
    queue.put((done, time.process_time() - cpu))


@dataclass(frozen=True)
class Argon2:
    per_s: float  # verifications per second, all processes together
    cpu_ms: float  # CPU milliseconds one verification takes


def argon2_ceiling(processes: int, seconds: float) -> Argon2:
    """Payment-password verifications per second (the credentials area's own check: the
    peppered HMAC, then argon2id with its production parameters) in `processes` processes."""
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue: mp.Queue[tuple[int, float]] = ctx.Queue()
    procs = [ctx.Process(target=_argon2_worker, args=(seconds, queue)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    done = sum(n for n, _ in results)
    cpu = sum(c for _, c in results)
    # Each process verified for exactly `seconds`.
    return Argon2(done / seconds, cpu * 1000 / done if done else float("nan"))


# --- the load clients --------------------------------------------------------------------


@dataclass
class ClientResult:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in REQUESTS})
    paid: int = 0
    confirmed: int = 0
    verified: int = 0
    verified_ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    payment_ids: list[str] = field(default_factory=list)


class _Http:
    """One keep-alive connection to the wallet, reopened after the server closes it."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def close(self) -> None:
        self.conn.close()

    def request(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                return resp.status, resp.headers, resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # An idle keep-alive connection the server closed before this request
                # arrived: nothing was processed, so sending it again is safe.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


class _Shopper:
    """One buyer in front of the wallet: a shop's API call creates the payment, then the
    buyer opens the cashier, confirms with the saved card and the payment password, and
    sees the receipt. Counts go to `out` only while `counting()` says so."""

    def __init__(
        self,
        n: int,
        wallet_url: str,
        seeded: Seeded,
        verify_every: int,
        counting: Callable[[], bool],
        around: Callable[[str], AbstractContextManager[object]] = lambda kind: nullcontext(),
    ) -> None:
        self.n, self.wallet_url, self.verify_every = n, wallet_url, verify_every
        self.buyer = seeded.buyers[n % len(seeded.buyers)]
        self.counting, self.around = counting, around
        self.out = ClientResult()
        self.conn = _Http(wallet_url)
        self.host = urlsplit(wallet_url).netloc
        self.cookies = {seeded.session_cookie: self.buyer.session_key}
        self.api = {"Authorization": f"Bearer {seeded.api_key}"}
        self.took: dict[str, float] = {}

    def send(
        self, kind: str, method: str, path: str, body: bytes | None = None, headers: Headers = None
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        with self.around(kind):
            started = time.monotonic()
            status, head, data = self.conn.request(
                method, path, body, {"Host": self.host, **(headers or {})}
            )
            self.took[kind] = (time.monotonic() - started) * 1000
        for raw in head.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                self.cookies[name] = morsel.value
        return status, head, data

    def answered(self, kind: str) -> None:
        """The request of this kind got the answer it should: its latency counts."""
        if self.counting():
            self.out.latencies[kind].append(self.took[kind])

    def failed(self, kind: str, status: int) -> None:
        if self.counting():
            self.out.errors[f"{kind} {status}"] += 1

    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def pay(self, number: int) -> None:
        try:
            self._pay(number)
        except (OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            self.failed(type(exc).__name__, 0)

    def _pay(self, number: int) -> None:
        body = json.dumps({
            "amount": AMOUNT, "currency": CURRENCY, "order_reference": f"bench-{self.n}-{number}",
            "description": "zhifu bench payments", "capture_method": "automatic",
            "return_url": f"{self.wallet_url}/healthz", "metadata": {"client": str(self.n)},
        }).encode()  # fmt: skip
        status, _, data = self.send("create", "POST", "/api/v1/payments", body, {
            **self.api, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4()),
        })  # fmt: skip
        if status not in (200, 201):
            return self.failed("create", status)
        self.answered("create")
        payment = json.loads(data)
        cashier = urlsplit(payment["cashier_url"]).path
        status, _, data = self.send("cashier", "GET", cashier, headers={"Cookie": self.cookie()})
        token = CSRF_FIELD.search(data.decode("utf-8", "replace"))
        if status != 200 or token is None:
            return self.failed("cashier", status)
        self.answered("cashier")
        form = urlencode({
            "csrfmiddlewaretoken": token.group(1), "method": "saved_card",
            "card_id": self.buyer.card_id, "payment_password": PIN,
        }).encode()  # fmt: skip
        status, head, _ = self.send("confirm", "POST", cashier, form, {
            "Cookie": self.cookie(), "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.wallet_url, "Referer": self.wallet_url + cashier,
        })  # fmt: skip
        location = head.get("Location", "")
        if status != 302 or "/receipt/" not in location:
            return self.failed("confirm", status)
        self.answered("confirm")
        if self.counting():
            self.out.confirmed += 1
        receipt = urlsplit(location).path
        status, _, _ = self.send("receipt", "GET", receipt, headers={"Cookie": self.cookie()})
        if status != 200:
            return self.failed("receipt", status)
        self.answered("receipt")
        if not self.counting():
            return None
        self.out.paid += 1
        self.out.payment_ids.append(payment["id"])
        if self.verify_every == 1 or self.out.paid % self.verify_every == 1:
            path = f"/api/v1/payments/{payment['id']}"
            status, _, data = self.send("retrieve", "GET", path, headers=self.api)
            self.out.verified += 1
            if status == 200 and json.loads(data)["status"] == "succeeded":
                self.out.verified_ok += 1
                self.answered("retrieve")
            else:
                self.failed("retrieve", status)
        return None


def _client(
    n: int,
    wallet_url: str,
    seeded: Seeded,
    window: tuple[float, float],
    verify_every: int,
    queue: mp.Queue[ClientResult],
) -> None:
    """One client process: one buyer paying one payment after another until the window
    closes; what ends within the window is counted."""
    t0, t1 = window
    shopper = _Shopper(n, wallet_url, seeded, verify_every, lambda: t0 <= time.monotonic() <= t1)
    number = 0
    while time.monotonic() < t1:
        number += 1
        shopper.pay(number)
    shopper.conn.close()
    queue.put(shopper.out)


# --- CPU accounting ----------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    at: float
    cpu: dict[str, dict[int, float]]  # group -> pid -> CPU seconds so far
    machine_busy: float  # CPU seconds the whole machine spent outside idle and iowait
    unseen: set[str]  # groups whose processes /proc does not show (a remote PostgreSQL)
    transactions: dict[str, int]  # "wallet db" / "cardnet db" -> committed + rolled back


def _machine_busy() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / _shared.CLOCK_TICKS


def _backends(conn: Any, databases: dict[str, str]) -> dict[str, list[int]]:
    """PostgreSQL backend pids serving each scratch database now."""
    rows = conn.execute(
        "SELECT datname, pid FROM pg_stat_activity WHERE datname = ANY(%s)",
        [list(databases.values())],
    ).fetchall()
    by_name = {name: alias for alias, name in databases.items()}
    found: dict[str, list[int]] = {}
    for datname, pid in rows:
        found.setdefault(by_name[datname], []).append(int(pid))
    return found


def snapshot(sites: Sites, clients: list[int], conn: Any) -> Snapshot:
    """CPU used so far by every process of the run, by group; conn: to the server's
    maintenance database (its own backend is on no scratch database, so never counted)."""
    backends = _backends(conn, sites.databases)
    groups = {
        "wallet": _shared.descendants(sites.procs["wallet"].pid),
        "cardnet": _shared.descendants(sites.procs["cardnet"].pid),
        "wallet db": backends.get("wallet", []) + backends.get("vault", []),
        "cardnet db": backends.get("cardnet", []),
        "clients": clients,
    }
    cpu = {
        group: {pid: s for pid in pids if (s := _shared.cpu_seconds(pid)) is not None}
        for group, pids in groups.items()
    }
    # A server on another machine: its backends' pids name nothing here.
    unseen = {group for group, pids in groups.items() if pids and not cpu[group]}
    return Snapshot(time.monotonic(), cpu, _machine_busy(), unseen, _transactions(conn, sites))


def _transactions(conn: Any, sites: Sites) -> dict[str, int]:
    """Transactions each site's databases have ended so far (pg_stat_database; a busy
    backend reports at most once a second, at both ends of a window alike)."""
    rows = conn.execute(
        "SELECT datname, xact_commit + xact_rollback FROM pg_stat_database WHERE datname = ANY(%s)",
        [list(sites.databases.values())],
    ).fetchall()
    by_name = {name: alias for alias, name in sites.databases.items()}
    found = {"wallet db": 0, "cardnet db": 0}
    for datname, count in rows:
        found["cardnet db" if by_name[datname] == "cardnet" else "wallet db"] += int(count)
    return found


def cpu_delta(before: Snapshot, after: Snapshot) -> tuple[dict[str, float], int]:
    """CPU seconds per group over the window; a process that started within it counts
    whole. Also how many processes ended within it (their last part is not counted)."""
    spent: dict[str, float] = {}
    ended = 0
    for group, now in after.cpu.items():
        was = before.cpu.get(group, {})
        spent[group] = sum(s - was.get(pid, 0.0) for pid, s in now.items())
        ended += len(set(was) - set(now))
    return spent, ended


# --- the run -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    seconds: float
    result: ClientResult
    cpu: dict[str, float]
    ended: int
    machine_busy: float
    unseen: set[str]
    transactions: dict[str, int]


def run_load(args: argparse.Namespace, sites: Sites, seeded: Seeded) -> Load:
    from django.db import connections

    connections.close_all()  # never share the parent's sockets with the clients
    ctx = mp.get_context("fork")
    queue: mp.Queue[ClientResult] = ctx.Queue()
    t0 = time.monotonic() + 0.5 + args.warmup  # the clients' start-up is not measured either
    t1 = t0 + args.seconds
    procs = [
        ctx.Process(
            target=_client,
            args=(n, sites.wallet_url, seeded, (t0, t1), args.verify_every, queue),
        )
        for n in range(args.clients)
    ]
    for proc in procs:
        proc.start()
    pids = [p.pid for p in procs if p.pid is not None]
    with _maintenance(sites) as conn:
        time.sleep(max(0.0, t0 - time.monotonic()))
        before = snapshot(sites, pids, conn)
        time.sleep(max(0.0, t1 - time.monotonic()))
        after = snapshot(sites, pids, conn)
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join()
    total = ClientResult()
    for r in results:
        for kind, times in r.latencies.items():
            total.latencies[kind] += times
        total.paid += r.paid
        total.confirmed += r.confirmed
        total.verified += r.verified
        total.verified_ok += r.verified_ok
        total.errors += r.errors
        total.payment_ids += r.payment_ids
    spent, ended = cpu_delta(before, after)
    return Load(
        after.at - before.at,
        total,
        spent,
        ended,
        after.machine_busy - before.machine_busy,
        before.unseen | after.unseen,
        {db: n - before.transactions[db] for db, n in after.transactions.items()},
    )


@contextmanager
def _maintenance(sites: Sites) -> Iterator[Any]:
    import psycopg

    with psycopg.connect(sites.server_url, autocommit=True, connect_timeout=5) as conn:
        yield conn


@dataclass
class Profile:
    """CPU seconds per request kind and process group, over `payments` sequential ones."""

    payments: int = 0
    tried: int = 0
    verified_ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, Counter[str]] = field(default_factory=dict)
    count: Counter[str] = field(default_factory=Counter)


def profile_requests(args: argparse.Namespace, sites: Sites, seeded: Seeded) -> Profile:
    """Where each request's CPU goes: one buyer alone pays `--profile` payments, and the
    CPU of every process of the run is read before and after each request (alone, each
    delta is that request's; /proc counts in 10 ms ticks, so it takes a few to average)."""
    found = Profile()
    with _maintenance(sites) as conn:

        @contextmanager
        def around(kind: str) -> Iterator[None]:
            before = snapshot(sites, [], conn)
            yield
            time.sleep(0.02)  # gunicorn writes its access line after the answer
            spent, _ = cpu_delta(before, snapshot(sites, [], conn))
            found.cpu.setdefault(kind, Counter()).update(spent)
            found.count[kind] += 1

        shopper = _Shopper(0, sites.wallet_url, seeded, 1, lambda: True, around)
        for number in range(args.profile):
            shopper.pay(10**6 + number)
        shopper.conn.close()  # an open keep-alive connection would hold up gunicorn's exit
        found.payments, found.tried = shopper.out.paid, args.profile
        found.verified_ok, found.errors = shopper.out.verified_ok, shopper.out.errors
    return found


CPU_ROUNDS = 20  # confirmations timed in-process after the count


def count_statements(sites: Sites, seeded: Seeded) -> dict[str, dict[str, Any]]:
    """The SQL of one paid payment's requests, counted in this process with Django's test
    client (the wallet's settings and databases; cardnet is the running one): statements
    per database alias and transactions, per request. A payment is paid first so that the
    per-process caches are as under load. Then the wallet's CPU milliseconds of a
    confirmation (`confirm`'s `cpu_ms`): time.process_time of this process around each of
    CPU_ROUNDS confirmations, the argon2id verification included (cardnet's and
    PostgreSQL's CPU are not this process's: load-independent, unlike the profile)."""
    from django.test import Client

    buyer = seeded.buyers[0]
    client = Client(HTTP_HOST=urlsplit(sites.wallet_url).netloc)
    client.cookies[seeded.session_cookie] = buyer.session_key
    api = {"HTTP_AUTHORIZATION": f"Bearer {seeded.api_key}"}
    found: dict[str, dict[str, Any]] = {}

    def send(kind: str, record: bool, method: Callable[..., Any], *a: Any, **kw: Any) -> Any:
        response, statements, transactions = _shared.counted(lambda: method(*a, **kw))
        if response.status_code not in (200, 201, 302):
            raise BenchError(f"counting: {kind} answered {response.status_code}")
        if record:
            found[kind] = {"statements": statements, "transactions": transactions}
        return response

    cpu = 0.0
    for record in [False, True] + [False] * CPU_ROUNDS:
        body = json.dumps({
            "amount": AMOUNT, "currency": CURRENCY, "order_reference": f"count-{uuid.uuid4()}",
            "capture_method": "automatic", "return_url": f"{sites.wallet_url}/healthz",
        })  # fmt: skip
        created = send("create", record, client.post, "/api/v1/payments", body,
                       content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
                       **api).json()  # fmt: skip
        cashier = urlsplit(created["cashier_url"]).path
        send("cashier", record, client.get, cashier)
        form = {"method": "saved_card", "card_id": buyer.card_id, "payment_password": PIN}
        if "confirm" in found and not record:  # the rounds timed after the count
            began = time.process_time()
            response = client.post(cashier, form)
            cpu += time.process_time() - began
            if response.status_code != 302:
                raise BenchError(f"timing: confirm answered {response.status_code}")
            continue
        receipt = urlsplit(send("confirm", record, client.post, cashier, form)["Location"]).path
        send("receipt", record, client.get, receipt)
        send("retrieve", record, client.get, f"/api/v1/payments/{created['id']}", **api)
    found["confirm"]["cpu_ms"] = round(cpu * 1000 / CPU_ROUNDS, 1)
    return found


def _statuses() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT status, count(*) FROM payments_payment GROUP BY status")
        return {status: int(count) for status, count in cur.fetchall()}


def run(args: argparse.Namespace) -> None:
    _shared.check_common_arguments(args, "payments")
    if args.verify_every < 1 or args.warmup < 0:
        raise BenchError("--verify-every must be positive and --warmup not negative")
    suffix = str(os.getpid())
    data_dir = Path(tempfile.mkdtemp(prefix="zhifu-bench-payments-"))
    sites = Sites(args.database_url, suffix, data_dir)
    pgbench_db = f"zhifu_bench_pay_pgbench_{suffix}"
    scale = args.pgbench_scale or args.clients
    print(f"zhifu bench payments: {args.clients} clients, {args.seconds:g} s measured")
    began = time.perf_counter()

    def step(what: str) -> None:
        print(f"  [{time.perf_counter() - began:4.0f} s] {what} ...", flush=True)

    with _shared.scratch(args, [pgbench_db, *sites.databases.values()]):
        step(f"pgbench TPC-B (scale {scale})")
        tps = _shared.pgbench_tps(args, _shared.with_db(args.database_url, pgbench_db), scale)
        _shared.drop_db(args.database_url, pgbench_db)
        try:
            step("migrating and starting the wallet and cardnet")
            sites.prepare()
            sites.start(args)
            os.environ.update(sites.env(), ZHIFU_LOG_LEVEL="WARNING")  # this process only
            from zhifu.config.runtime import setup_site

            setup_site("wallet")
            step(f"seeding {args.clients} buyers (saved cards verified by cardnet)")
            seeded = seed(args.clients)
            step(f"argon2id verifications, {args.clients} processes")
            argon2 = argon2_ceiling(args.clients, args.seconds)
            step(f"payments: {args.warmup:g} s warm-up, then {args.seconds:g} s")
            load = run_load(args, sites, seeded)
            step(f"profile: {args.profile} payments one after another")
            profile = profile_requests(args, sites, seeded)
            step("statements per request")
            statements = count_statements(sites, seeded)
            step("ledger check")
            from zhifu.ledger import services as ledger

            statuses = _statuses()
            violations = ledger.check()
        finally:
            step("stopping the servers, dropping the databases")
            sites.stop()
    _report(args, tps, scale, argon2, load, profile, statuses, len(violations))
    print("SQL of one paid payment, counted in-process (statements per database; transactions):")
    for kind, counts in statements.items():
        per_db = ", ".join(f"{db} {n}" for db, n in counts["statements"].items())
        print(f"    {kind:<10}{per_db}; {counts['transactions']} transactions")
    print(
        f"wallet CPU of a confirmation, in-process ({CPU_ROUNDS} of them): "
        f"{statements['confirm']['cpu_ms']:.1f} ms, argon2id's {argon2.cpu_ms:.1f} ms of it"
    )
    if args.json:
        figures = _figures(args, tps, argon2, load, profile, len(violations))
        figures["statements_per_request"] = statements
        args.json.write_text(json.dumps(figures, indent=2))
    print(f"(whole run: {time.perf_counter() - began:.0f} s)")
    if args.keep_logs:
        print(f"servers' logs and data: {data_dir}")
    else:
        _shared.remove(data_dir)


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def _report(
    args: argparse.Namespace,
    tps: float,
    scale: int,
    argon2: Argon2,
    load: Load,
    profile: Profile,
    statuses: dict[str, int],
    violations: int,
) -> None:
    from zhifu.credentials import hashing

    r = load.result
    paid_s = r.paid / load.seconds
    confirmed_s = r.confirmed / load.seconds
    print()
    print(f"pgbench TPC-B: {tps:,.0f} tps (scale {scale}, {args.clients} clients)")
    print(
        f"argon2id (m={hashing.MEMORY_KIB} KiB, t={hashing.TIME_COST}, p={hashing.PARALLELISM}): "
        f"{argon2.per_s:,.1f} verifications/s ({args.clients} processes), "
        f"{argon2.cpu_ms:.0f} ms of CPU each"
    )
    one_in = f"1 : {tps / paid_s:,.0f}" if paid_s else "none paid"
    print(
        f"(a) paid payments: {r.paid} in {load.seconds:.1f} s = {paid_s:,.2f}/s; "
        f"÷ pgbench tps = {paid_s / tps:.4f} ({one_in})"
    )
    print(
        f"(b) confirmations: {confirmed_s:,.2f}/s; "
        f"÷ argon2id verifications/s = {confirmed_s / argon2.per_s if argon2.per_s else 0:.2f}"
    )
    if r.paid:
        each = {db: n / r.paid for db, n in load.transactions.items()}
        print(
            f"    PostgreSQL transactions per paid payment: wallet db {each['wallet db']:.1f}, "
            f"cardnet db {each['cardnet db']:.1f} (one of TPC-B's: 1)"
        )
    print("(c) CPU per paid payment:")
    total = 0.0
    for group, seconds in load.cpu.items():
        if group in load.unseen:
            print(f"      {group:<12}     n/a (its processes are not on this machine)")
            continue
        ms = seconds * 1000 / r.paid if r.paid else float("nan")
        total += ms
        print(f"      {group:<12}{ms:>8.1f} ms")
    cpus = os.cpu_count() or 1
    ours = sum(load.cpu.values())
    print(f"      {'sum':<12}{total:>8.1f} ms: {cpus} CPUs to themselves would pay "
          f"{cpus * 1000 / total if total else 0:,.1f}/s")  # fmt: skip
    busy = load.machine_busy / load.seconds / cpus
    share = ours / load.machine_busy if load.machine_busy else 0
    print(f"    the machine's {cpus} CPUs were {busy:.0%} busy, {share:.0%} of it this run's")
    groups = [g for g in load.cpu if g != "clients"]
    print(
        f"    {'request':<10}{'count':>6}{'p50 ms':>8}{'p99 ms':>8}  | CPU ms of each, "
        f"alone ({profile.payments} payments paid one at a time):"
    )
    print(f"    {'':<32}  | " + "".join(f"{g:>12}" for g in groups))
    for kind in REQUESTS:
        times = r.latencies[kind]
        alone = profile.cpu.get(kind, Counter())
        each = max(1, profile.count[kind])
        cpu = "".join(
            f"{'n/a' if g in load.unseen else f'{alone[g] * 1000 / each:.1f}':>12}" for g in groups
        )
        print(
            f"    {kind:<10}{len(times):>6}{_percentile(times, 50):>8.1f}"
            f"{_percentile(times, 99):>8.1f}  | {cpu}"
        )
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(r.errors.items())) or "none"
    print(f"errors in the window: {errors}")
    print(f"read back through the API: {r.verified_ok} of {r.verified} succeeded")
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(profile.errors.items())) or "none"
    print(
        f"profile: {profile.payments} of {profile.tried} payments paid, "
        f"{profile.verified_ok} read back as succeeded; errors: {errors}"
    )
    print(f"payments in the wallet's database: "
          f"{', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}")  # fmt: skip
    print(f"ledger check after the run: {violations} violations")
    if load.ended:
        print(f"({load.ended} measured processes ended within the window: their CPU is short)")


def _figures(
    args: argparse.Namespace,
    tps: float,
    argon2: Argon2,
    load: Load,
    profile: Profile,
    violations: int,
) -> dict[str, Any]:
    """The printed figures as data (--json; bench/all.py reads them)."""
    r = load.result
    paid_s, confirmed_s = r.paid / load.seconds, r.confirmed / load.seconds
    cpu = {g: None if g in load.unseen or not r.paid else round(s * 1000 / r.paid, 1)
           for g, s in load.cpu.items()}  # fmt: skip
    return {
        "benchmark": "payments",
        "clients": args.clients,
        "seconds": round(load.seconds, 2),
        "pgbench_tps": round(tps, 1),
        "argon2id_per_s": round(argon2.per_s, 2),
        "argon2id_cpu_ms": round(argon2.cpu_ms, 1),
        "paid": r.paid,
        "paid_per_s": round(paid_s, 2),
        "paid_ratio_to_pgbench": round(paid_s / tps, 4),
        "confirmations_per_s": round(confirmed_s, 2),
        "confirmations_ratio_to_argon2id": round(confirmed_s / argon2.per_s, 3)
        if argon2.per_s
        else None,
        "transactions_per_paid": {
            db: round(n / r.paid, 1) if r.paid else None for db, n in load.transactions.items()
        },
        "cpu_ms_per_paid": cpu,
        "latency_ms": {
            kind: {
                "count": len(times),
                "p50": round(_percentile(times, 50), 1),
                "p99": round(_percentile(times, 99), 1),
            }
            for kind, times in r.latencies.items()
            if times
        },
        "profile_cpu_ms": {
            kind: {g: round(v * 1000 / max(1, profile.count[kind]), 1) for g, v in c.items()}
            for kind, c in profile.cpu.items()
        },
        "errors": dict(r.errors),
        "ledger_violations": violations,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (`zhifu bench payments` calls this too); the exit status."""
    return _shared.cli("payments", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
