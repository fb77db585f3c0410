"""docs/security.md SEC-01, double spend, on a real PostgreSQL (SQLite's single writer would hide
the race).

A balance of 100.00; 10,000 attempts to pay 100.00 from it, each with its own reference (a
different request), made by 64 threads that each hold their own database connection and
pull attempts from one shared queue. Exactly one payment goes through, the other 9,999 are
refused with insufficient funds, and nothing else surfaces (no deadlock or serialization
failure, no other error). The final balance is 0 and no balance is ever negative: a
sampler reads it throughout the run, every posting's `balance_after` on an account that
must not go negative is ≥ 0, and `services.check()` (what `zhifu ledger check` runs) finds
no violation.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter

import pytest
from django.db import connection

from zhifu.kernel.money import Money
from zhifu.ledger import domain, errors, services
from zhifu.ledger.domain import BALANCE_ON
from zhifu.ledger.models import Account, Entry, Posting

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

ATTEMPTS = 10_000
CONNECTIONS = 64
BUYER = "user:double-spend"
SHOP = "merchant:double-spend"
BALANCE = Money(10_000, "USD")  # 100.00


def test_10000_concurrent_payments_of_the_whole_balance_let_exactly_one_through() -> None:
    services.top_up(BALANCE_ON, BUYER, BALANCE, "double-spend-topup")
    buyer = domain.buyer(BUYER, "USD")
    # Open the accounts up front, so every attempt races on the same rows from the start.
    services.ensure_accounts([buyer, domain.merchant(SHOP, "USD")])

    attempts: queue.SimpleQueue[int] = queue.SimpleQueue()
    for n in range(ATTEMPTS):
        attempts.put(n)
    start = threading.Barrier(CONNECTIONS + 1)
    outcomes: Counter[str] = Counter()
    lowest_seen: list[int] = []
    lock = threading.Lock()
    done = threading.Event()

    def worker() -> None:
        tally: Counter[str] = Counter()
        try:
            connection.ensure_connection()  # this thread's own connection
            start.wait(timeout=60)
            while True:
                try:
                    n = attempts.get_nowait()
                except queue.Empty:
                    break
                try:
                    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, BALANCE, f"double-spend-{n}")
                    tally["ok"] += 1
                except errors.LedgerError as exc:
                    tally[exc.code] += 1
                except Exception as exc:  # a deadlock, a serialization failure, ...
                    tally[f"{type(exc).__name__}: {exc}"] += 1
        finally:
            connection.close()
            with lock:
                outcomes.update(tally)

    def sampler() -> None:
        """Reads the balance (and the lowest non-negative-kind row) while the race runs."""
        try:
            start.wait(timeout=60)
            forbidden = [kind.value for kind in domain.NON_NEGATIVE_KINDS]
            while not done.is_set():
                lowest = min(
                    Account.objects.filter(kind__in=forbidden).values_list("balance", flat=True)
                )
                lowest_seen.append(min(lowest, services.balance(buyer).minor))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    watcher = threading.Thread(target=sampler)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    done.set()
    watcher.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert outcomes == Counter({"ok": 1, "insufficient_funds": ATTEMPTS - 1})
    assert services.balance(buyer) == Money.zero("USD")
    assert services.balance(domain.merchant(SHOP, "USD")) == BALANCE
    assert Entry.objects.filter(kind="payment").count() == 1
    assert lowest_seen, "the sampler read nothing"
    assert min(lowest_seen) >= 0
    forbidden = [kind.value for kind in domain.NON_NEGATIVE_KINDS]
    assert not Posting.objects.filter(account__kind__in=forbidden, balance_after__lt=0).exists()
    assert services.check() == []
