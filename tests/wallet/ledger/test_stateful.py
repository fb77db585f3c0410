"""Model-based test of the ledger (SECURITY.md row 4, issue 5 "Done when").

A Hypothesis state machine drives random sequences of top-ups, payments (some with a
fee), refunds, withdrawals and their settlement, FX conversions, reversals, retries of an
already used reference and attempts with the balance switched off, and after every step
checks the ledger against a plain-Python model:

* every logical account's balance equals the model's;
* no account that must stay non-negative is negative;
* every currency nets to zero;
* refunds never exceed what the payment left the merchant;
* at the end of each example, `services.check()` (what `zhifu ledger check` runs) finds
  no violation.

CI runs 200 examples of 50 steps with a fixed seed (derandomize); set
ZHIFU_STATEFUL_RANDOM=1 for a random-seed run and ZHIFU_STATEFUL_EXAMPLES=N for more.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from zhifu.fx import services as fx
from zhifu.kernel.money import Money
from zhifu.ledger import domain, services
from zhifu.ledger.domain import BALANCE_OFF, BALANCE_ON, AccountRef

BUYERS = ("user:1", "user:2", "user:3")
MERCHANT = "merchant:hot"
CURRENCIES = ("USD", "EUR", "JPY")
FX_SETTINGS = fx.Settings(
    spread_bps=75,
    quote_ttl=fx.dt.timedelta(minutes=5),
    max_rate_age=fx.dt.timedelta(days=1),
)


@dataclass
class ModelEntry:
    reference: str
    kind: str
    effects: dict[AccountRef, int]
    related: ModelEntry | None = None
    amount: int = 0  # payments: amount; refunds: amount
    fee: int = 0
    reversed: bool = False
    followers: list[ModelEntry] = field(default_factory=list)

    def live_followers(self) -> list[ModelEntry]:
        return [f for f in self.followers if not f.reversed]


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        fx.import_sample()
        self.balances: dict[AccountRef, int] = defaultdict(int)
        self.entries: list[ModelEntry] = []
        self.counter = 0

    def teardown(self) -> None:
        try:
            violations = services.check()
            assert violations == [], violations
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

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
        services.top_up(BALANCE_ON, owner, Money(minor, currency), reference)
        self._apply(
            ModelEntry(
                reference,
                "topup",
                {domain.clearing(currency): -minor, domain.buyer(owner, currency): minor},
            )
        )

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
        amount = Money(minor, currency)
        if not self._fits(effects):
            with pytest.raises(services.InsufficientFunds):
                services.pay_from_balance(
                    BALANCE_ON, owner, MERCHANT, amount, reference, fee=Money(fee, currency)
                )
            return
        services.pay_from_balance(
            BALANCE_ON, owner, MERCHANT, amount, reference, fee=Money(fee, currency)
        )
        self._apply(ModelEntry(reference, "payment", effects, amount=minor, fee=fee))

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
        amount = Money(minor, currency)
        if payment.reversed or refunded + minor > payment.amount - payment.fee:
            with pytest.raises(services.RefundTooLarge):
                services.refund_payment(payment.reference, amount, reference)
            return
        if not self._fits(effects):
            with pytest.raises(services.InsufficientFunds):
                services.refund_payment(payment.reference, amount, reference)
            return
        services.refund_payment(payment.reference, amount, reference)
        self._apply(ModelEntry(reference, "refund", effects, related=payment, amount=minor))

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
        if not self._fits(effects):
            with pytest.raises(services.InsufficientFunds):
                services.withdraw_to_card(BALANCE_ON, owner, Money(minor, currency), reference)
            return
        services.withdraw_to_card(BALANCE_ON, owner, Money(minor, currency), reference)
        self._apply(ModelEntry(reference, "withdrawal", effects, amount=minor))

    @precondition(lambda self: any(e.kind == "withdrawal" for e in self.entries))
    @rule(index=st.integers(0, 10_000))
    def settle(self, index: int) -> None:
        withdrawal = self._pick(("withdrawal",), index)
        assert withdrawal is not None
        currency = next(iter(withdrawal.effects)).currency
        reference = self._ref("settle")
        if withdrawal.reversed or withdrawal.live_followers():
            with pytest.raises(services.WithdrawalClosed):
                services.settle_withdrawal(withdrawal.reference, reference)
            return
        effects = {
            domain.refunds_in_transit(currency): -withdrawal.amount,
            domain.clearing(currency): withdrawal.amount,
        }
        assert self._fits(effects)
        services.settle_withdrawal(withdrawal.reference, reference)
        self._apply(ModelEntry(reference, "withdrawal_settled", effects, related=withdrawal))

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
        except fx.AmountTooSmall:
            return
        assert quote.sell == sell
        reference = self._ref("fx")
        effects = {
            domain.buyer(owner, sell_currency): -minor,
            domain.fx_position(sell_currency): minor,
            domain.fx_position(receive_currency): -quote.receive.minor,
            domain.buyer(owner, receive_currency): quote.receive.minor,
        }
        if not self._fits(effects):
            with pytest.raises(services.InsufficientFunds):
                fx.convert(BALANCE_ON, owner, quote.id, reference)
            return
        fx.convert(BALANCE_ON, owner, quote.id, reference)
        self._apply(ModelEntry(reference, "fx", effects))

    @precondition(lambda self: bool(self.entries))
    @rule(index=st.integers(0, 10_000))
    def reverse(self, index: int) -> None:
        original = self.entries[index % len(self.entries)]
        reference = self._ref("reversal")
        if original.kind == "reversal" or original.reversed or original.live_followers():
            with pytest.raises(services.NotReversible):
                services.reverse(original.reference, reference)
            return
        effects = {account: -delta for account, delta in original.effects.items()}
        if not self._fits(effects):
            with pytest.raises(services.InsufficientFunds):
                services.reverse(original.reference, reference)
            return
        services.reverse(original.reference, reference)
        original.reversed = True
        self._apply(ModelEntry(reference, "reversal", effects))

    @precondition(lambda self: bool(self.entries))
    @rule(index=st.integers(0, 10_000), minor=st.integers(1, 1000))
    def retry_same_reference(self, index: int, minor: int) -> None:
        used = self.entries[index % len(self.entries)].reference
        with pytest.raises(services.DuplicateReference):
            services.top_up(BALANCE_ON, BUYERS[0], Money(minor, "USD"), used)

    @rule(
        operation=st.sampled_from(("top_up", "pay", "withdraw")),
        minor=st.integers(1, 1000),
    )
    def balance_switched_off(self, operation: str, minor: int) -> None:
        amount = Money(minor, "EUR")
        reference = self._ref("off")
        with pytest.raises(services.BalanceDisabled):
            if operation == "top_up":
                services.top_up(BALANCE_OFF, BUYERS[0], amount, reference)
            elif operation == "pay":
                services.pay_from_balance(BALANCE_OFF, BUYERS[0], MERCHANT, amount, reference)
            else:
                services.withdraw_to_card(BALANCE_OFF, BUYERS[0], amount, reference)

    # invariants -------------------------------------------------------------------------
    @invariant()
    def balances_match_the_model(self) -> None:
        refs = list(self.balances)
        stored = services.balances(refs)
        for ref in refs:
            assert stored[ref].minor == self.balances[ref], ref
            if not domain.allows_negative(ref.kind):
                assert stored[ref].minor >= 0, ref

    @invariant()
    def every_currency_nets_to_zero(self) -> None:
        totals: dict[str, int] = defaultdict(int)
        for ref, value in self.balances.items():
            totals[ref.currency] += value
        assert all(total == 0 for total in totals.values()), totals

    @invariant()
    def refunds_never_exceed_payments(self) -> None:
        for entry in self.entries:
            if entry.kind == "payment":
                refunded = sum(f.amount for f in entry.live_followers())
                assert refunded <= entry.amount - entry.fee


EXAMPLES = int(os.environ.get("ZHIFU_STATEFUL_EXAMPLES", "200"))
RANDOM = os.environ.get("ZHIFU_STATEFUL_RANDOM") == "1"


@pytest.mark.slow
@pytest.mark.django_db
def test_ledger_keeps_every_invariant_over_random_operations() -> None:
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
