"""PostgreSQL posts an entry in one statement (the stored function `ledger_post`).

Counts statements, never time: the benchmark (bench/ledger.py) measures the throughput.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from zhifu.kernel.money import Money
from zhifu.ledger import domain, errors, services
from zhifu.ledger.domain import BALANCE_ON, AccountKind
from zhifu.ledger.models import Account, Entry, Posting

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

BUYER = "user:one-statement"
SHOP = "merchant:one-statement"


def usd(minor: int) -> Money:
    return Money(minor, "USD")


def test_an_entry_outside_a_transaction_is_one_statement_even_for_new_accounts() -> None:
    with CaptureQueriesContext(connection) as queries:
        services.top_up(BALANCE_ON, BUYER, usd(500), "one-topup")
        services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(200), "one-pay")
    assert len(queries.captured_queries) == 2
    assert all("ledger_post(" in q["sql"] for q in queries.captured_queries)
    # The new merchant payable was opened with its kind's shard count, in the same statement.
    shards = Account.objects.filter(owner=SHOP, kind=AccountKind.MERCHANT_PAYABLE)
    assert shards.count() == domain.MERCHANT_PAYABLE_SHARDS
    assert services.balance(domain.merchant(SHOP, "USD")).minor == 200
    assert services.check() == []


def test_a_refusal_inside_a_callers_transaction_leaves_it_usable() -> None:
    with transaction.atomic():
        services.top_up(BALANCE_ON, BUYER, usd(100), "usable-topup")
        with pytest.raises(errors.InsufficientFunds) as refused:
            services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(101), "usable-too-much")
        with pytest.raises(errors.DuplicateReference):
            services.top_up(BALANCE_ON, BUYER, usd(1), "usable-topup")
        services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(100), "usable-pay")
    assert refused.value.details["account"] == f"{BUYER}/buyer_balance/USD"
    assert set(Entry.objects.values_list("reference", flat=True)) == {
        "usable-topup",
        "usable-pay",
    }
    assert services.balance(domain.buyer(BUYER, "USD")).minor == 0
    assert services.check() == []


def test_a_debit_of_a_sharded_payable_takes_from_the_fullest_shards_first() -> None:
    rows = services.open_account(domain.merchant(SHOP, "USD"), shards=3)
    services.top_up(BALANCE_ON, BUYER, usd(1000), "shards-topup")
    for n in range(6):
        services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(10 + n), f"shards-pay-{n}")
    before = {row.pk: row.balance for row in Account.objects.filter(pk__in=[r.pk for r in rows])}
    total = sum(before.values())

    refund = services.refund_capture("shards-refund", SHOP, usd(total), buyer_owner=BUYER)

    expected = domain.plan_debit(sorted(before.items()), total)
    assert sorted((p[0], p[1]) for p in refund.postings if p[0] in before) == sorted(expected)
    assert Posting.objects.filter(entry__reference="shards-refund").count() == len(expected) + 1
    with pytest.raises(errors.InsufficientFunds) as refused:
        services.refund_capture("shards-refund-2", SHOP, usd(1), buyer_owner=BUYER)
    assert refused.value.details["account"] == f"{SHOP}/merchant_payable/USD"
    assert services.check() == []


def _hold(rows: list[int], held: threading.Event, release: threading.Event) -> None:
    """Keep `rows` locked in a transaction of this thread's connection until `release`."""
    try:
        with transaction.atomic():
            list(Account.objects.select_for_update().filter(pk__in=rows))
            held.set()
            release.wait(timeout=60)
    finally:
        connection.close()


def test_a_credit_to_a_sharded_payable_takes_a_shard_no_one_holds() -> None:
    """Payments to one merchant do not queue behind each other while a shard is free."""
    services.top_up(BALANCE_ON, BUYER, usd(1000), "free-topup")  # the buyer's row comes first
    rows = [row.pk for row in services.open_account(domain.merchant(SHOP, "USD"), shards=4)]
    for n, free in enumerate(rows[:3]):
        held, release = threading.Event(), threading.Event()
        others = [pk for pk in rows if pk != free]
        holder = threading.Thread(target=_hold, args=(others, held, release))
        holder.start()
        assert held.wait(timeout=60)
        try:
            with connection.cursor() as cursor:  # a wait would be an error, not a hang
                cursor.execute("SET lock_timeout = '20s'")
            posted = services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(1), f"free-{n}")
        finally:
            release.set()
            holder.join(timeout=60)
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        assert [p[0] for p in posted.postings if p[0] in rows] == [free]
    assert services.check() == []


def _wait_for_a_lock_wait() -> None:
    """Until some connection of this database waits for a row lock (the condition, not a
    time, is what the test waits for; the deadline only keeps a bug from hanging it)."""
    deadline = time.monotonic() + 60
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
    raise AssertionError("no connection ever waited for a lock")


def test_a_credit_waits_for_a_shard_when_every_shard_is_held() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(1000), "busy-topup")
    rows = [row.pk for row in services.open_account(domain.merchant(SHOP, "USD"), shards=2)]
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold, args=(rows, held, release))
    holder.start()
    assert held.wait(timeout=60)
    outcome: dict[str, object] = {}

    def pay() -> None:
        try:
            outcome["posted"] = services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(7), "busy")
        except Exception as exc:  # shown by the assertion below
            outcome["error"] = exc
        finally:
            connection.close()

    payer = threading.Thread(target=pay)
    payer.start()
    try:
        _wait_for_a_lock_wait()
    finally:
        release.set()
        holder.join(timeout=60)
        payer.join(timeout=60)
    assert "error" not in outcome, outcome
    posted = outcome["posted"]
    assert isinstance(posted, services.PostedEntry)
    assert [(p[0] in rows, p[1]) for p in posted.postings] == [(False, -7), (True, 7)]
    assert services.balance(domain.merchant(SHOP, "USD")).minor == 7
    assert services.check() == []
