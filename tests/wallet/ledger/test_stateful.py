"""Model-based test of the ledger (docs/security.md SEC-04).

A Hypothesis state machine drives random sequences of top-ups, payments (some with a
fee), refunds, withdrawals and their settlement, FX conversions, reversals, attempts with
the balance switched off, and two kinds of steps that real deployments see:

* **retry**: the same business event posted again with the same reference (a client that
  timed out and tries again). It is refused (`duplicate_reference`; a conversion's quote
  says `quote_used`) and nothing changes;
* **restart**: the process dies and comes back: every database connection is closed and
  every in-process cache of the ledger, FX and kernel modules is dropped. Everything the
  ledger knows must come from the database, so the run simply continues.

Every step commits for real (`transaction=True`): a restart loses whatever a test
transaction would have held. Each example starts from empty entries, postings and quotes,
with every account of the example already open at a zero balance (opened once for the
whole run, which keeps examples cheap).

After every step, cheaply (one query):

* every logical account's balance equals the model's (so nothing moved on a refusal or
  a retry);
* every currency nets to zero, in the model and in the database;
* no account of a kind that must stay non-negative is negative;
* refunds never exceed what the payment left the merchant (in the model).

At the end of each example, fully: `services.check()` (what `zhifu ledger check` runs)
finds no violation, the stored entries are exactly the model's, and the refunds stored
against each payment never exceed it.

CI runs 1000 examples of 50 steps with a fixed seed (derandomize); set
ZHIFU_STATEFUL_RANDOM=1 for a random-seed run (nightly) and ZHIFU_STATEFUL_EXAMPLES=N to
change the number of examples.
"""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.management.color import no_style
from django.db import connection, connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from zhifu.fx import errors as fx_errors
from zhifu.fx import services as fx
from zhifu.fx.models import Quote
from zhifu.kernel.errors import Refusal
from zhifu.kernel.money import Money
from zhifu.ledger import domain, errors, services
from zhifu.ledger.domain import BALANCE_OFF, BALANCE_ON, AccountRef
from zhifu.ledger.models import Account, Entry, Posting

BUYERS = ("user:1", "user:2", "user:3")
MERCHANT = "merchant:hot"
CURRENCIES = ("USD", "EUR", "JPY")
FX_SETTINGS = fx.Settings(
    spread_bps=75,
    quote_ttl=fx.dt.timedelta(minutes=5),
    max_rate_age=fx.dt.timedelta(days=1),
)
# Every account an example can touch; opened once for the whole run.
ACCOUNTS: tuple[AccountRef, ...] = tuple(
    ref
    for currency in CURRENCIES
    for ref in (
        *(domain.buyer(owner, currency) for owner in BUYERS),
        domain.merchant(MERCHANT, currency),
        domain.clearing(currency),
        domain.fx_position(currency),
        domain.fees(currency),
        domain.refunds_in_transit(currency),
    )
)
ACCOUNT_BY_KEY = {(ref.owner, ref.kind.value, ref.currency): ref for ref in ACCOUNTS}
# A restart at most every few steps (3 to 6 per example): each costs a new connection.
RESTART_EVERY = 8
# Modules whose functools caches a restart drops (the ledger and FX keep none of their
# own today; anything cached later is dropped too).
CACHED_PACKAGES = ("zhifu.ledger", "zhifu.fx", "zhifu.kernel")

EXAMPLES = int(os.environ.get("ZHIFU_STATEFUL_EXAMPLES", "1000"))
RANDOM = os.environ.get("ZHIFU_STATEFUL_RANDOM") == "1"


def drop_in_process_caches() -> None:
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(CACHED_PACKAGES):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def reset_ledger() -> None:
    """Empty entries, postings and quotes; set every account back to zero.

    On PostgreSQL the append-only triggers refuse DELETE; a superuser skips them for this
    one transaction (SET LOCAL session_replication_role), which costs well under a
    millisecond, where TRUNCATE (which the triggers do not see either) costs tens. SQLite's
    triggers refuse only UPDATE.
    """
    tables = [Posting._meta.db_table, Entry._meta.db_table, Quote._meta.db_table]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _is_superuser(cursor):
            cursor.execute("SET LOCAL session_replication_role = replica")
            for table in tables:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        else:
            for sql in connection.ops.sql_flush(no_style(), tables):
                cursor.execute(sql)
        Account.objects.update(balance=0)


def _is_superuser(cursor: Any) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(cursor.fetchone()[0])


@dataclass
class ModelEntry:
    reference: str
    kind: str
    effects: dict[AccountRef, int]
    replay: Callable[[], object]  # the same business event, posted again
    retry_error: type[Refusal] = errors.DuplicateReference
    related: ModelEntry | None = None
    amount: int = 0  # payments: amount; refunds: amount
    fee: int = 0
    reversed: bool = False
    followers: list[ModelEntry] = field(default_factory=list)

    def live_followers(self) -> list[ModelEntry]:
        return [f for f in self.followers if not f.reversed]


class LedgerMachine(RuleBasedStateMachine):
    examples = 0
    steps_run = 0
    restarts = 0
    retries = 0

    def __init__(self) -> None:
        super().__init__()
        reset_ledger()
        self.balances: dict[AccountRef, int] = dict.fromkeys(ACCOUNTS, 0)
        self.entries: list[ModelEntry] = []
        self.counter = 0
        self.steps = self.restarted_at = 0
        type(self).examples += 1

    def teardown(self) -> None:
        violations = services.check()
        assert violations == [], violations
        rows = list(
            Entry.objects.values_list("pk", "reference", "kind", "related", "reverses", "metadata")
        )
        assert {reference: kind for _, reference, kind, *_ in rows} == {
            e.reference: e.kind for e in self.entries
        }
        # Refunds never exceed captures, from the stored entries alone.
        reversed_ids = {reverses for *_, reverses, _ in rows if reverses is not None}
        refunded: dict[int, int] = defaultdict(int)
        for pk, _, kind, related, _, metadata in rows:
            if kind == "refund" and pk not in reversed_ids:
                refunded[related] += int(metadata["amount"])
        for pk, _, kind, _, _, metadata in rows:
            if kind == "payment":
                assert refunded[pk] <= int(metadata["amount"]) - int(metadata["fee"]), pk

    # helpers --------------------------------------------------------------------------
    def _ref(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}-{self.counter}"

    def _fits(self, effects: dict[AccountRef, int]) -> bool:
        return all(
            self.balances[account] + delta >= 0 or domain.allows_negative(account.kind)
            for account, delta in effects.items()
        )

    def _apply(self, entry: ModelEntry) -> None:
        for account, delta in entry.effects.items():
            self.balances[account] += delta
        self.entries.append(entry)
        if entry.related is not None:
            entry.related.followers.append(entry)

    def _pick(self, kinds: tuple[str, ...], index: int) -> ModelEntry | None:
        candidates = [e for e in self.entries if e.kind in kinds]
        return candidates[index % len(candidates)] if candidates else None

    # rules ----------------------------------------------------------------------------
    @rule(
        owner=st.sampled_from(BUYERS),
        currency=st.sampled_from(CURRENCIES),
        minor=st.integers(1, 100_000),
    )
    def top_up(self, owner: str, currency: str, minor: int) -> None:
        reference = self._ref("topup")

        def call() -> object:
            return services.top_up(BALANCE_ON, owner, Money(minor, currency), reference)

        call()
        effects = {domain.clearing(currency): -minor, domain.buyer(owner, currency): minor}
        self._apply(ModelEntry(reference, "topup", effects, call))

    @rule(
        owner=st.sampled_from(BUYERS),
        currency=st.sampled_from(CURRENCIES),
        minor=st.integers(1, 60_000),
        with_fee=st.booleans(),
    )
    def pay(self, owner: str, currency: str, minor: int, with_fee: bool) -> None:
        reference = self._ref("pay")
        fee = minor // 50 if with_fee else 0
        effects = {domain.buyer(owner, currency): -minor}
        if minor - fee:
            effects[domain.merchant(MERCHANT, currency)] = minor - fee
        if fee:
            effects[domain.fees(currency)] = fee

        def call() -> object:
            return services.pay_from_balance(
                BALANCE_ON,
                owner,
                MERCHANT,
                Money(minor, currency),
                reference,
                fee=Money(fee, currency),
            )

        if not self._fits(effects):
            with pytest.raises(errors.InsufficientFunds):
                call()
            return
        call()
        self._apply(ModelEntry(reference, "payment", effects, call, amount=minor, fee=fee))

    @precondition(lambda self: any(e.kind == "payment" for e in self.entries))
    @rule(index=st.integers(0, 10_000), share=st.integers(1, 100))
    def refund(self, index: int, share: int) -> None:
        payment = self._pick(("payment",), index)
        assert payment is not None
        currency = next(iter(payment.effects)).currency
        owner = next(a.owner for a in payment.effects if a.kind == domain.AccountKind.BUYER_BALANCE)
        minor = max(1, (payment.amount * share) // 100)
        reference = self._ref("refund")
        refunded = sum(f.amount for f in payment.live_followers())
        effects = {
            domain.merchant(MERCHANT, currency): -minor,
            domain.buyer(owner, currency): minor,
        }

        def call() -> object:
            return services.refund_payment(payment.reference, Money(minor, currency), reference)

        if payment.reversed or refunded + minor > payment.amount - payment.fee:
            with pytest.raises(errors.RefundTooLarge):
                call()
            return
        if not self._fits(effects):
            with pytest.raises(errors.InsufficientFunds):
                call()
            return
        call()
        self._apply(ModelEntry(reference, "refund", effects, call, related=payment, amount=minor))

    @rule(
        owner=st.sampled_from(BUYERS),
        currency=st.sampled_from(CURRENCIES),
        minor=st.integers(1, 50_000),
    )
    def withdraw(self, owner: str, currency: str, minor: int) -> None:
        reference = self._ref("withdraw")
        effects = {
            domain.buyer(owner, currency): -minor,
            domain.refunds_in_transit(currency): minor,
        }

        def call() -> object:
            return services.withdraw_to_card(BALANCE_ON, owner, Money(minor, currency), reference)

        if not self._fits(effects):
            with pytest.raises(errors.InsufficientFunds):
                call()
            return
        call()
        self._apply(ModelEntry(reference, "withdrawal", effects, call, amount=minor))

    @precondition(lambda self: any(e.kind == "withdrawal" for e in self.entries))
    @rule(index=st.integers(0, 10_000))
    def settle(self, index: int) -> None:
        withdrawal = self._pick(("withdrawal",), index)
        assert withdrawal is not None
        currency = next(iter(withdrawal.effects)).currency
        reference = self._ref("settle")

        def call() -> object:
            return services.settle_withdrawal(withdrawal.reference, reference)

        if withdrawal.reversed or withdrawal.live_followers():
            with pytest.raises(errors.WithdrawalClosed):
                call()
            return
        effects = {
            domain.refunds_in_transit(currency): -withdrawal.amount,
            domain.clearing(currency): withdrawal.amount,
        }
        assert self._fits(effects)
        call()
        self._apply(ModelEntry(reference, "withdrawal_settled", effects, call, related=withdrawal))

    @rule(
        owner=st.sampled_from(BUYERS),
        pair=st.permutations(CURRENCIES).map(lambda p: (p[0], p[1])),
        minor=st.integers(1, 80_000),
    )
    def convert(self, owner: str, pair: tuple[str, str], minor: int) -> None:
        sell_currency, receive_currency = pair
        sell = Money(minor, sell_currency)
        try:
            quote = fx.quote(owner, sell, receive_currency, settings=FX_SETTINGS)
        except fx_errors.AmountTooSmall:
            return
        assert quote.sell == sell
        reference = self._ref("fx")
        effects = {
            domain.buyer(owner, sell_currency): -minor,
            domain.fx_position(sell_currency): minor,
            domain.fx_position(receive_currency): -quote.receive.minor,
            domain.buyer(owner, receive_currency): quote.receive.minor,
        }

        def call() -> object:
            return fx.convert(BALANCE_ON, owner, quote.id, reference)

        if not self._fits(effects):
            with pytest.raises(errors.InsufficientFunds):
                call()
            return
        call()
        self._apply(ModelEntry(reference, "fx", effects, call, retry_error=fx_errors.QuoteUsed))

    @precondition(lambda self: bool(self.entries))
    @rule(index=st.integers(0, 10_000))
    def reverse(self, index: int) -> None:
        original = self.entries[index % len(self.entries)]
        reference = self._ref("reversal")

        def call() -> object:
            return services.reverse(original.reference, reference)

        if original.kind == "reversal" or original.reversed or original.live_followers():
            with pytest.raises(errors.NotReversible):
                call()
            return
        effects = {account: -delta for account, delta in original.effects.items()}
        if not self._fits(effects):
            with pytest.raises(errors.InsufficientFunds):
                call()
            return
        call()
        original.reversed = True
        self._apply(ModelEntry(reference, "reversal", effects, call))

    @precondition(lambda self: bool(self.entries))
    @rule(index=st.integers(0, 10_000))
    def retry(self, index: int) -> None:
        """The same business event again, same reference: refused, nothing changes (the
        invariants compare every balance with the model after this step)."""
        entry = self.entries[index % len(self.entries)]
        with pytest.raises(entry.retry_error):
            entry.replay()
        assert Entry.objects.count() == len(self.entries)
        type(self).retries += 1

    @precondition(lambda self: bool(self.entries))
    @rule(index=st.integers(0, 10_000), minor=st.integers(1, 1000))
    def reuse_reference_for_another_event(self, index: int, minor: int) -> None:
        used = self.entries[index % len(self.entries)].reference
        with pytest.raises(errors.DuplicateReference):
            services.top_up(BALANCE_ON, BUYERS[0], Money(minor, "USD"), used)

    @precondition(lambda self: self.steps - self.restarted_at >= RESTART_EVERY)
    @rule()
    def restart(self) -> None:
        """The process restarts: no connection, no cache survives; the next step (and the
        invariants right after this one) start from the database alone."""
        connections.close_all()
        drop_in_process_caches()
        self.restarted_at = self.steps
        type(self).restarts += 1

    @rule(
        operation=st.sampled_from(("top_up", "pay", "withdraw")),
        minor=st.integers(1, 1000),
    )
    def balance_switched_off(self, operation: str, minor: int) -> None:
        amount = Money(minor, "EUR")
        reference = self._ref("off")
        with pytest.raises(errors.BalanceDisabled):
            if operation == "top_up":
                services.top_up(BALANCE_OFF, BUYERS[0], amount, reference)
            elif operation == "pay":
                services.pay_from_balance(BALANCE_OFF, BUYERS[0], MERCHANT, amount, reference)
            else:
                services.withdraw_to_card(BALANCE_OFF, BUYERS[0], amount, reference)

    # invariants (cheap: one query) --------------------------------------------------------
    @invariant()
    def ledger_matches_the_model(self) -> None:
        self.steps += 1
        type(self).steps_run += 1
        stored: dict[AccountRef, int] = defaultdict(int)
        for owner, kind, currency, balance in Account.objects.values_list(
            "owner", "kind", "currency", "balance"
        ):
            ref = ACCOUNT_BY_KEY[owner, kind, currency]
            stored[ref] += balance
            assert balance >= 0 or ref.kind not in domain.NON_NEGATIVE_KINDS, ref
        assert stored == self.balances, {
            str(ref): (stored.get(ref), self.balances.get(ref))
            for ref in {*stored, *self.balances}
            if stored.get(ref) != self.balances.get(ref)
        }
        totals: dict[str, int] = defaultdict(int)
        for ref, value in self.balances.items():
            totals[ref.currency] += value
        assert not any(totals.values()), totals
        for entry in self.entries:
            if entry.kind == "payment":
                refunded = sum(f.amount for f in entry.live_followers())
                assert refunded <= entry.amount - entry.fee


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ledger_keeps_every_invariant_over_random_operations() -> None:
    fx.import_sample()  # kept for the whole run; each example empties only the ledger
    services.ensure_accounts(ACCOUNTS)
    LedgerMachine.examples = LedgerMachine.steps_run = 0
    LedgerMachine.restarts = LedgerMachine.retries = 0
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=50,
            derandomize=not RANDOM,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        ),
    )
    print(
        f"\nledger state machine: {LedgerMachine.examples} examples, "
        f"{LedgerMachine.steps_run} checks (one after each step and one at the start), "
        f"{LedgerMachine.retries} retries, {LedgerMachine.restarts} restarts"
    )
    assert LedgerMachine.examples >= EXAMPLES
    assert LedgerMachine.retries
    assert LedgerMachine.restarts
