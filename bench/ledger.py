"""Ledger throughput and balance-read time against pgbench.

    .venv/bin/python bench/ledger.py [--clients 8] [--seconds 10] [--shards 1,2,4,8,16]
                                     [--database-url URL]
    .venv/bin/zhifu bench ledger [the same options]      (the same script, from a checkout)

Everything runs on one PostgreSQL server, in scratch databases created for the run and
dropped afterwards:

1. pgbench's TPC-B-like script (`pgbench -i -s SCALE`, then `-c N -j N -T S/3` at the
   start of each of the 3 rounds below, averaged): the server's transactions per second,
   the yardstick;
2. ledger postings per second with N client processes, each posting two-legged entries
   between **random buyer accounts** (1,000 of them);
3. the same entries with every one crediting **one hot merchant**, whose payable is split
   into shards (the design), and, for contrast, a merchant with a single payable row; with
   `--shards 1,2,4,8,16` also a merchant with each of those shard counts (the curve the
   default count is chosen from, docs/ledger.md);
4. the time to read a balance with 10 thousand and with 1 million entries in the
   account's history (fixtures bulk-inserted server-side), beside the time a SUM over the
   postings would take.

Figures are printed as ratios to pgbench measured in the same run; nothing is asserted, and
`make test` does not run it. `measure(args)` returns the same figures as a dict (for a JSON
table); `main(argv)` prints them.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _shared

BUYERS = 1000
ROUNDS = 3
START_BALANCE = 10**12


def add_arguments(p: argparse.ArgumentParser) -> None:
    _shared.add_common_arguments(p, clients=8, seconds=10.0)
    p.add_argument("--large", type=int, default=1_000_000, help="entries in the large read fixture")
    p.add_argument(
        "--shards",
        type=_shard_counts,
        default=(),
        help="also measure a hot merchant with each of these shard counts (e.g. 1,2,4,8,16)",
    )


def _shard_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of shard counts") from None
    if not counts or not all(1 <= n <= 64 for n in counts):
        raise argparse.ArgumentTypeError("shard counts are 1-64")
    return counts


# --- ledger workloads --------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    entries: int
    postings: int
    seconds: float
    refused: int
    client_cpu: float  # CPU seconds the client processes spent (Python, Django, psycopg)

    def __add__(self, other: Throughput) -> Throughput:
        return Throughput(
            self.entries + other.entries,
            self.postings + other.postings,
            self.seconds + other.seconds,
            self.refused + other.refused,
            self.client_cpu + other.client_cpu,
        )

    @property
    def client_cpu_ms_per_entry(self) -> float:
        return 1000 * self.client_cpu / max(1, self.entries + self.refused)

    @property
    def postings_per_s(self) -> float:
        return self.postings / self.seconds

    @property
    def entries_per_s(self) -> float:
        return self.entries / self.seconds


def _worker(
    workload: str,
    worker: int,
    seconds: float,
    round_no: int,
    queue: mp.Queue[tuple[int, int, int, float]],
) -> None:
    from django.db import connections

    connections.close_all()  # never share the parent's socket
    from zhifu.kernel.money import Money
    from zhifu.ledger import domain, services
    from zhifu.ledger.errors import LedgerError

    rng = random.Random(worker * 1000 + round_no)
    entries = postings = refused = 0
    cpu_started = time.process_time()
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        a = rng.randrange(BUYERS)
        reference = f"{workload}-{round_no}-{worker}-{n}"
        amount = Money(1, "USD")
        # Both workloads post the same two-legged entry through services.post; only the
        # credited account differs (a random buyer, or the hot merchant's payable), so the
        # ratio of their rates is the hot account's cost, not pay_from_balance's extras.
        if workload == "random":
            b = (a + 1 + rng.randrange(BUYERS - 1)) % BUYERS
            credited = domain.buyer(f"bench:{b}", "USD")
        else:
            credited = domain.merchant(workload, "USD")
        try:
            posted = services.post(
                reference,
                "transfer",
                [
                    domain.Leg(domain.buyer(f"bench:{a}", "USD"), -amount),
                    domain.Leg(credited, amount),
                ],
            )
        except LedgerError:
            refused += 1
            continue
        entries += 1
        postings += len(posted.postings)
    connections.close_all()
    queue.put((entries, postings, refused, time.process_time() - cpu_started))


def _throughput(workload: str, clients: int, seconds: float, round_no: int) -> Throughput:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue: mp.Queue[tuple[int, int, int, float]] = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(workload, i, seconds, round_no, queue))
        for i in range(clients)
    ]
    started = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.perf_counter() - started
    return Throughput(
        entries=sum(r[0] for r in results),
        postings=sum(r[1] for r in results),
        seconds=max(elapsed, seconds),
        refused=sum(r[2] for r in results),
        client_cpu=sum(r[3] for r in results),
    )


def _seed_buyers(sweep: tuple[int, ...]) -> None:
    from zhifu.kernel.money import Money
    from zhifu.ledger import domain, services

    amount = Money(START_BALANCE, "USD")
    legs = [domain.Leg(domain.buyer(f"bench:{i}", "USD"), amount) for i in range(BUYERS)]
    legs.append(domain.Leg(domain.clearing("USD"), Money(-START_BALANCE * BUYERS, "USD")))
    services.post("bench-seed", "topup", legs)
    services.open_account(domain.merchant("merchant:hot", "USD"))
    services.open_account(domain.merchant("merchant:hot-1-row", "USD"), shards=1)
    for shards in sweep:
        services.open_account(domain.merchant(f"merchant:hot-{shards}", "USD"), shards=shards)


def _workloads(sweep: tuple[int, ...]) -> tuple[dict[str, str], dict[int, str]]:
    """The workloads by label, and the label measuring each shard count of the curve."""
    from zhifu.ledger.domain import MERCHANT_PAYABLE_SHARDS

    default = f"hot merchant, {MERCHANT_PAYABLE_SHARDS} shards"
    workloads = {
        "random accounts": "random",
        default: "merchant:hot",
        "hot merchant, 1 row": "merchant:hot-1-row",
    }
    curve = {MERCHANT_PAYABLE_SHARDS: default, 1: "hot merchant, 1 row"}
    for shards in sweep:
        if shards not in curve:
            curve[shards] = f"hot merchant, {shards} shards"
            workloads[curve[shards]] = f"merchant:hot-{shards}"
    return workloads, {n: curve[n] for n in sweep}


# --- balance reads -----------------------------------------------------------------------


def _fixture(owner: str, entries: int) -> None:
    """`entries` entries of +1 on the owner's balance against clearing, server-side."""
    from django.db import connection, transaction

    from zhifu.ledger import domain, services

    account = services.open_account(domain.buyer(owner, "EUR"))[0]
    sink = services.open_account(domain.clearing("EUR", f"sink-{owner}"))[0]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_entry (reference, kind, description, posted_at, metadata) "
            "SELECT %s || g, 'fixture', '', now() - make_interval(secs => %s - g), '{}' "
            "FROM generate_series(1, %s) AS g",
            [f"{owner}-", entries, entries],
        )
        for account_id, sign in ((account.pk, 1), (sink.pk, -1)):
            cur.execute(
                "INSERT INTO ledger_posting "
                "(entry_id, account_id, amount, currency, balance_after, posted_at) "
                "SELECT id, %s, %s, 'EUR', %s * row_number() OVER (ORDER BY id), posted_at "
                "FROM ledger_entry WHERE kind = 'fixture' AND reference LIKE %s",
                [account_id, sign, sign, f"{owner}-%"],
            )
        cur.execute(
            "UPDATE ledger_account SET balance = CASE id WHEN %s THEN %s ELSE %s END "
            "WHERE id IN (%s, %s)",
            [account.pk, entries, -entries, account.pk, sink.pk],
        )
        cur.execute("ANALYZE ledger_posting")


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _read_times(owner: str, entries: int) -> tuple[float, float]:
    from django.db import connection
    from django.db.models import Sum

    from zhifu.ledger import domain, services
    from zhifu.ledger.models import Posting

    ref = domain.buyer(owner, "EUR")
    assert services.balance(ref).minor == entries
    account_id = services.ensure_accounts([ref])[ref][0].pk
    connection.ensure_connection()
    stored = _median_ms(lambda: services.balance(ref), 200)
    summed = _median_ms(
        lambda: Posting.objects.filter(account_id=account_id).aggregate(Sum("amount")), 5
    )
    return stored, summed


# --- the run -----------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run every measurement; the figures as a dict (what `run` prints, for a JSON table)."""
    _shared.check_common_arguments(args, "ledger")
    suffix = f"{os.getpid()}"
    ledger_db, pgbench_db = f"zhifu_bench_ledger_{suffix}", f"zhifu_bench_pgbench_{suffix}"
    scale = args.pgbench_scale or args.clients
    sweep: tuple[int, ...] = getattr(args, "shards", ())
    print(f"zhifu bench ledger: {args.clients} clients, {args.seconds:g} s per run")
    began = time.perf_counter()
    with _shared.scratch(args, [pgbench_db, ledger_db]):
        print(f"  pgbench TPC-B (scale {scale}): initialize ...", flush=True)
        pgbench_url = _shared.with_db(args.database_url, pgbench_db)
        _shared.pgbench_init(args, pgbench_url, scale)
        _setup_django(_shared.with_db(args.database_url, ledger_db))
        _seed_buyers(sweep)
        workloads, curve = _workloads(sweep)
        # Interleaved rounds, so a change in the machine's load during the run does not
        # favour whichever workload happened to run in the quiet minute.
        # pgbench runs in every round too, so the ratios compare figures of the same minutes.
        results: dict[str, Throughput] = {}
        pgbench_rounds: list[float] = []
        for round_no in range(ROUNDS):
            print(f"  pgbench TPC-B (round {round_no + 1}/{ROUNDS}) ...", flush=True)
            pgbench_rounds.append(_shared.pgbench_run(args, pgbench_url, args.seconds / ROUNDS))
            for label, workload in workloads.items():
                print(f"  ledger: {label} (round {round_no + 1}/{ROUNDS}) ...", flush=True)
                part = _throughput(workload, args.clients, args.seconds / ROUNDS, round_no)
                results[label] = results[label] + part if label in results else part
        tps = statistics.fmean(pgbench_rounds)
        _shared.drop_db(args.database_url, pgbench_db)
        reads = {}
        for owner, entries in (("read-10k", 10_000), ("read-large", args.large)):
            print(f"  ledger: balance read with {entries:,} entries ...", flush=True)
            _fixture(owner, entries)
            reads[entries] = _read_times(owner, entries)
        from zhifu.ledger import services
        from zhifu.ledger.domain import MERCHANT_PAYABLE_SHARDS

        print("  ledger: check ...", flush=True)
        started = time.perf_counter()
        violations = services.check()
        check_seconds = time.perf_counter() - started
    random_rate = results["random accounts"].entries_per_s
    hot = results[f"hot merchant, {MERCHANT_PAYABLE_SHARDS} shards"]
    return {
        "clients": args.clients,
        "seconds": args.seconds,
        "pgbench_scale": scale,
        "pgbench_tps": tps,
        "pgbench_tps_rounds": pgbench_rounds,
        "workloads": {
            label: {
                "entries_per_s": result.entries_per_s,
                "postings_per_s": result.postings_per_s,
                "entries_per_tps": result.entries_per_s / tps,
                "postings_per_tps": result.postings_per_s / tps,
                "refused": result.refused,
                "client_cpu_ms_per_entry": result.client_cpu_ms_per_entry,
            }
            for label, result in results.items()
        },
        "random_entries_per_tps": random_rate / tps,
        "hot_merchant_shards": MERCHANT_PAYABLE_SHARDS,
        "hot_merchant_entries_per_tps": hot.entries_per_s / tps,
        "hot_over_random": hot.entries_per_s / random_rate,
        "shard_curve": {
            shards: {
                "entries_per_s": results[label].entries_per_s,
                "over_random": results[label].entries_per_s / random_rate,
            }
            for shards, label in sorted(curve.items())
        },
        "balance_read_ms": {
            entries: {"stored": stored, "sum": summed}
            for entries, (stored, summed) in reads.items()
        },
        "refused": sum(r.refused for r in results.values()),
        "check_violations": len(violations),
        "check_seconds": check_seconds,
        "whole_run_seconds": time.perf_counter() - began,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure, print the table, and return the figures."""
    figures = measure(args)
    tps = figures["pgbench_tps"]
    print()
    print(
        f"pgbench TPC-B: {tps:,.0f} tps (scale {figures['pgbench_scale']}, {args.clients} clients)"
    )
    rounds = ", ".join(f"{r:,.0f}" for r in figures["pgbench_tps_rounds"])
    print(f"pgbench TPC-B by round (interleaved with the ledger's): {rounds} tps")
    print(
        f"{'ledger workload':<26}{'entries/s':>11}{'postings/s':>12}"
        f"{'postings/s ÷ tps':>18}{'entries/s ÷ tps':>17}"
    )
    for label, row in figures["workloads"].items():
        print(
            f"{label:<26}{row['entries_per_s']:>11,.0f}{row['postings_per_s']:>12,.0f}"
            f"{row['postings_per_tps']:>18.2f}{row['entries_per_tps']:>17.2f}"
        )
    print(f"{'balance read':<26}{'stored balance':>16}{'SUM(postings)':>16}")
    for entries, read in figures["balance_read_ms"].items():
        print(f"{f'{entries:,} entries':<26}{read['stored']:>13.3f} ms{read['sum']:>13.1f} ms")
    print(f"(whole run: {figures['whole_run_seconds']:.0f} s)")
    print(
        f"refused postings: {figures['refused']}; ledger check after the run: "
        f"{figures['check_violations']} violations ({figures['check_seconds']:.1f} s over "
        "every account and entry)"
    )
    print(
        f"hot merchant ({figures['hot_merchant_shards']} shards) ÷ random accounts: "
        f"{figures['hot_over_random']:.2f}"
    )
    cpu = ", ".join(
        f"{label} {row['client_cpu_ms_per_entry']:.2f}"
        for label, row in figures["workloads"].items()
    )
    print(f"client CPU ms per entry: {cpu}")
    if figures["shard_curve"]:
        points = ", ".join(
            f"{shards}: {point['over_random']:.2f}"
            for shards, point in figures["shard_curve"].items()
        )
        print(f"shard curve (hot merchant entries/s ÷ random accounts, by shards): {points}")
    return figures


def _setup_django(url: str) -> None:
    os.environ["ZHIFU_WALLET_DATABASE_URL"] = url
    os.environ.setdefault("ZHIFU_DEMO", "1")
    os.environ["ZHIFU_DATA_DIR"] = tempfile.mkdtemp(prefix="zhifu-bench-")
    os.environ["ZHIFU_DB_CONN_MAX_AGE"] = "600"
    from zhifu.config.runtime import setup_site

    setup_site("wallet")
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0, skip_checks=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (`zhifu bench ledger` calls this too); the exit status."""
    return _shared.cli("ledger", __doc__, add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
