"""Ledger throughput and balance-read time against pgbench.

    .venv/bin/python bench/ledger.py [--clients 8] [--seconds 10] [--database-url URL]
    .venv/bin/zhifu bench ledger [the same options]      (the same script, from a checkout)

Everything runs on one PostgreSQL server, in scratch databases created for the run and
dropped afterwards:

1. pgbench's TPC-B-like script (`pgbench -i -s SCALE`, then `-c N -j N -T S`): the
   server's transactions per second, the yardstick;
2. ledger postings per second with N client processes, each posting two-legged entries
   between **random buyer accounts** (1,000 of them);
3. the same with every entry paying **one hot merchant**, whose payable is split into
   shards (the design), and, for contrast, a merchant with a single payable row;
4. the time to read a balance with 10 thousand and with 1 million entries in the
   account's history (fixtures bulk-inserted server-side), beside the time a SUM over the
   postings would take.

Figures are printed as ratios to pgbench measured in the same run; nothing is asserted, and
`make test` does not run it.
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

import _shared
from _shared import BenchError

BUYERS = 1000
ROUNDS = 3
START_BALANCE = 10**12


def add_arguments(p: argparse.ArgumentParser) -> None:
    _shared.add_common_arguments(p, clients=8, seconds=10.0)
    p.add_argument("--large", type=int, default=1_000_000, help="entries in the large read fixture")


# --- ledger workloads --------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    entries: int
    postings: int
    seconds: float
    refused: int

    def __add__(self, other: Throughput) -> Throughput:
        return Throughput(
            self.entries + other.entries,
            self.postings + other.postings,
            self.seconds + other.seconds,
            self.refused + other.refused,
        )

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
    queue: mp.Queue[tuple[int, int, int]],
) -> None:
    from django.db import connections

    connections.close_all()  # never share the parent's socket
    from zhifu.kernel.money import Money
    from zhifu.ledger import domain, services
    from zhifu.ledger.errors import LedgerError

    rng = random.Random(worker * 1000 + round_no)
    entries = postings = refused = 0
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        a = rng.randrange(BUYERS)
        reference = f"{workload}-{round_no}-{worker}-{n}"
        amount = Money(1, "USD")
        try:
            if workload == "random":
                b = (a + 1 + rng.randrange(BUYERS - 1)) % BUYERS
                posted = services.post(
                    reference,
                    "transfer",
                    [
                        domain.Leg(domain.buyer(f"bench:{a}", "USD"), -amount),
                        domain.Leg(domain.buyer(f"bench:{b}", "USD"), amount),
                    ],
                )
            else:
                posted = services.pay_from_balance(
                    domain.BALANCE_ON, f"bench:{a}", workload, amount, reference
                )
        except LedgerError:
            refused += 1
            continue
        entries += 1
        postings += len(posted.postings)
    connections.close_all()
    queue.put((entries, postings, refused))


def _throughput(workload: str, clients: int, seconds: float, round_no: int) -> Throughput:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    queue: mp.Queue[tuple[int, int, int]] = ctx.Queue()
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
    )


def _seed_buyers() -> None:
    from zhifu.kernel.money import Money
    from zhifu.ledger import domain, services

    amount = Money(START_BALANCE, "USD")
    legs = [domain.Leg(domain.buyer(f"bench:{i}", "USD"), amount) for i in range(BUYERS)]
    legs.append(domain.Leg(domain.clearing("USD"), Money(-START_BALANCE * BUYERS, "USD")))
    services.post("bench-seed", "topup", legs)
    services.open_account(domain.merchant("merchant:hot", "USD"))
    services.open_account(domain.merchant("merchant:hot-1-row", "USD"), shards=1)


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


def run(args: argparse.Namespace) -> None:
    _shared.check_common_arguments(args, "ledger")
    suffix = f"{os.getpid()}"
    ledger_db, pgbench_db = f"zhifu_bench_ledger_{suffix}", f"zhifu_bench_pgbench_{suffix}"
    scale = args.pgbench_scale or args.clients
    print(f"zhifu bench ledger: {args.clients} clients, {args.seconds:g} s per run")
    began = time.perf_counter()
    _shared.create_db(args.database_url, pgbench_db)
    _shared.create_db(args.database_url, ledger_db)
    try:
        print(f"  pgbench TPC-B (scale {scale}) ...", flush=True)
        tps = _shared.pgbench_tps(args, _shared.with_db(args.database_url, pgbench_db), scale)
        _shared.drop_db(args.database_url, pgbench_db)
        _setup_django(_shared.with_db(args.database_url, ledger_db))
        _seed_buyers()
        workloads = {
            "random accounts": "random",
            "hot merchant, 8 shards": "merchant:hot",
            "hot merchant, 1 row": "merchant:hot-1-row",
        }
        # Interleaved rounds, so a change in the machine's load during the run does not
        # favour whichever workload happened to run in the quiet minute.
        results: dict[str, Throughput] = {}
        for round_no in range(ROUNDS):
            for label, workload in workloads.items():
                print(f"  ledger: {label} (round {round_no + 1}/{ROUNDS}) ...", flush=True)
                part = _throughput(workload, args.clients, args.seconds / ROUNDS, round_no)
                results[label] = results[label] + part if label in results else part
        reads = {}
        for owner, entries in (("read-10k", 10_000), ("read-large", args.large)):
            print(f"  ledger: balance read with {entries:,} entries ...", flush=True)
            _fixture(owner, entries)
            reads[entries] = _read_times(owner, entries)
        from zhifu.ledger import services

        print("  ledger: check ...", flush=True)
        started = time.perf_counter()
        violations = services.check()
        check_seconds = time.perf_counter() - started
    finally:
        from django.db import connections

        if "DJANGO_SETTINGS_MODULE" in os.environ:
            connections.close_all()
        _shared.drop_db(args.database_url, pgbench_db)
        _shared.drop_db(args.database_url, ledger_db)

    print()
    print(f"pgbench TPC-B: {tps:,.0f} tps (scale {scale}, {args.clients} clients)")
    print(
        f"{'ledger workload':<26}{'entries/s':>11}{'postings/s':>12}"
        f"{'postings/s ÷ tps':>18}{'entries/s ÷ tps':>17}"
    )
    for label, result in results.items():
        print(
            f"{label:<26}{result.entries_per_s:>11,.0f}{result.postings_per_s:>12,.0f}"
            f"{result.postings_per_s / tps:>18.2f}{result.entries_per_s / tps:>17.2f}"
        )
    print(f"{'balance read':<26}{'stored balance':>16}{'SUM(postings)':>16}")
    for entries, (stored, summed) in reads.items():
        print(f"{f'{entries:,} entries':<26}{stored:>13.3f} ms{summed:>13.1f} ms")
    refused = sum(r.refused for r in results.values())
    print(f"(whole run: {time.perf_counter() - began:.0f} s)")
    print(
        f"refused postings: {refused}; ledger check after the run: {len(violations)} "
        f"violations ({check_seconds:.1f} s over every account and entry)"
    )


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
    parser = argparse.ArgumentParser(prog="bench/ledger.py", description=__doc__.split("\n")[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run(args)
    except BenchError as exc:
        print(f"bench ledger: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
