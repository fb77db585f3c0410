"""Concurrency on a real PostgreSQL (SQLite's single writer would hide every race).

Each thread has its own database connection (Django's are per thread); the tests commit
for real (transaction=True), exactly as concurrent requests would.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from zhifu.kernel.errors import Refusal
from zhifu.kernel.money import Money
from zhifu.ledger import domain, services
from zhifu.ledger.domain import BALANCE_ON
from zhifu.ledger.models import Entry

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

BUYER = "user:race"
SHOP = "merchant:race"


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def race(count: int, attempt: Callable[[int], object]) -> Counter[str]:
    """Start `count` threads together; tally what each attempt returned or raised."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            attempt(n)
            outcome = "ok"
        except Refusal as exc:  # the ledger's refusals and FX's
            outcome = exc.code
        except Exception as exc:  # anything else is a failure the test must show
            outcome = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return Counter(outcomes)


def test_64_concurrent_payments_of_the_whole_balance_let_exactly_one_through() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(10_000), "race-topup")

    outcomes = race(
        64,
        lambda n: services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(10_000), f"race-{n}"),
    )

    assert outcomes == Counter({"ok": 1, "insufficient_funds": 63})
    assert services.balance(domain.buyer(BUYER, "USD")) == usd(0)
    assert services.balance(domain.merchant(SHOP, "USD")) == usd(10_000)
    assert services.check() == []


def test_the_same_reference_posted_concurrently_creates_one_entry() -> None:
    outcomes = race(
        16, lambda n: services.top_up(BALANCE_ON, BUYER, usd(2_500), "race-same-reference")
    )

    assert outcomes == Counter({"ok": 1, "duplicate_reference": 15})
    assert Entry.objects.filter(reference="race-same-reference").count() == 1
    assert services.balance(domain.buyer(BUYER, "USD")) == usd(2_500)


def test_transfers_in_opposite_directions_never_deadlock() -> None:
    a, b = domain.buyer("user:a", "USD"), domain.buyer("user:b", "USD")
    services.top_up(BALANCE_ON, "user:a", usd(1_000), "race-a")
    services.top_up(BALANCE_ON, "user:b", usd(1_000), "race-b")

    def transfer(n: int) -> None:
        source, target = (a, b) if n % 2 else (b, a)
        services.post(
            f"race-transfer-{n}",
            "transfer",
            [domain.Leg(source, -usd(10)), domain.Leg(target, usd(10))],
        )

    outcomes = race(32, transfer)

    assert outcomes == Counter({"ok": 32})
    assert services.balance(a) == services.balance(b) == usd(1_000)


def test_concurrent_refunds_never_exceed_the_payment() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(10_000), "race-topup-2")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(4_000), "race-pay")

    outcomes = race(
        16, lambda n: services.refund_payment("race-pay", usd(1_000), f"race-refund-{n}")
    )

    assert outcomes == Counter({"ok": 4, "refund_too_large": 12})
    assert services.balance(domain.buyer(BUYER, "USD")) == usd(10_000)
    assert services.check() == []


def test_one_quote_converted_concurrently_is_honoured_once() -> None:
    from zhifu.fx import services as fx

    fx.import_sample()
    services.top_up(BALANCE_ON, BUYER, Money(100_000, "EUR"), "race-topup-eur")
    quote = fx.quote(BUYER, Money(10_000, "EUR"), "USD")

    outcomes = race(8, lambda n: fx.convert(BALANCE_ON, BUYER, quote.id, f"race-fx-{n}"))

    assert outcomes == Counter({"ok": 1, "quote_used": 7})
    assert services.balance(domain.buyer(BUYER, "EUR")) == Money(90_000, "EUR")
    assert services.balance(domain.buyer(BUYER, "USD")) == quote.receive
