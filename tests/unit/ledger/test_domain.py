"""Double-entry rules without a database."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhifu.kernel.money import Money
from zhifu.ledger import domain
from zhifu.ledger.domain import AccountKind, Cursor, Leg


def leg(kind_ref: domain.AccountRef, minor: int) -> Leg:
    return Leg(kind_ref, Money(minor, kind_ref.currency))


def test_a_balanced_entry_is_valid() -> None:
    domain.validate_entry([leg(domain.buyer("u", "USD"), 100), leg(domain.clearing("USD"), -100)])


def test_an_entry_must_balance_in_every_currency() -> None:
    with pytest.raises(domain.Unbalanced) as caught:
        domain.validate_entry(
            [
                leg(domain.buyer("u", "USD"), 100),
                leg(domain.clearing("USD"), -100),
                leg(domain.buyer("u", "EUR"), 5),
                leg(domain.clearing("EUR"), -4),
            ]
        )
    assert caught.value.sums == {"EUR": 1}


def test_an_entry_needs_two_postings() -> None:
    with pytest.raises(domain.LedgerRuleError):
        domain.validate_entry([leg(domain.buyer("u", "USD"), 100)])


def test_a_leg_in_the_wrong_currency_is_refused() -> None:
    with pytest.raises(domain.LedgerRuleError):
        Leg(domain.buyer("u", "USD"), Money(1, "EUR"))


def test_a_zero_leg_is_refused() -> None:
    with pytest.raises(domain.LedgerRuleError):
        Leg(domain.buyer("u", "USD"), Money(0, "USD"))


@given(st.lists(st.integers(-(10**12), 10**12).filter(bool), min_size=1, max_size=8))
def test_reversed_legs_cancel_the_original(amounts: list[int]) -> None:
    legs = [leg(domain.buyer(f"u{i}", "JPY"), a) for i, a in enumerate(amounts)]
    both = legs + domain.reversed_legs(legs)
    assert all(v == 0 for v in domain.net_by_account(both).values())


def test_only_clearing_and_fx_position_may_go_negative() -> None:
    negative = {kind for kind in AccountKind if domain.allows_negative(kind)}
    assert negative == {AccountKind.CARD_CLEARING, AccountKind.FX_POSITION}


def test_merchant_payable_is_the_sharded_kind() -> None:
    assert domain.default_shards(AccountKind.MERCHANT_PAYABLE) > 1
    assert domain.default_shards(AccountKind.BUYER_BALANCE) == 1


def test_shards_are_chosen_within_range() -> None:
    rng = random.Random(1)
    assert {domain.choose_shard(8, rng) for _ in range(500)} == set(range(8))


@given(
    st.lists(st.integers(0, 1000), min_size=1, max_size=8),
    st.integers(1, 9000),
)
def test_a_debit_plan_takes_exactly_the_amount_without_overdrawing(
    balances: list[int], amount: int
) -> None:
    shards = list(enumerate(balances, start=1))
    if amount > sum(balances):
        with pytest.raises(domain.LedgerRuleError):
            domain.plan_debit(shards, amount)
        return
    plan = domain.plan_debit(shards, amount)
    assert -sum(take for _, take in plan) == amount
    held = dict(shards)
    assert all(take < 0 and held[i] + take >= 0 for i, take in plan)


def test_a_cursor_round_trips() -> None:
    cursor = Cursor(dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC), 42)
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("token", ["", "!!!", "bm90LWEtY3Vyc29y", "MjAyNi0wMS0wMnwx"])
def test_a_forged_cursor_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        Cursor.decode(token)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"])
def test_csv_cells_that_look_like_formulas_are_quoted(text: str) -> None:
    assert domain.csv_safe(text) == "'" + text


def test_references_are_printable_and_bounded() -> None:
    assert domain.validate_reference("pay_01J") == "pay_01J"
    for bad in ["", " x", "a\nb", "x" * 201]:
        with pytest.raises(domain.LedgerRuleError):
            domain.validate_reference(bad)
