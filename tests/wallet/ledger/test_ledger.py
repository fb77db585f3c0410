"""Behaviour of the ledger services a shop, a buyer or an operator would notice."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from zhifu.kernel.money import Money
from zhifu.ledger import domain, errors, services
from zhifu.ledger.domain import BALANCE_OFF, BALANCE_ON, AccountKind, Leg
from zhifu.ledger.models import Account, Entry, ImmutableRecord, Posting

pytestmark = pytest.mark.django_db

USD = "USD"
BUYER = "user:1"
SHOP = "merchant:shop"


def usd(minor: int) -> Money:
    return Money(minor, USD)


def buyer_balance(owner: str = BUYER, currency: str = USD) -> int:
    return services.balance(domain.buyer(owner, currency)).minor


def test_top_up_credits_the_balance_and_debits_card_clearing() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(10_000), "topup-1")
    assert buyer_balance() == 10_000
    assert services.balance(domain.clearing(USD)).minor == -10_000


def test_an_unbalanced_entry_is_refused_and_nothing_is_stored() -> None:
    with pytest.raises(domain.Unbalanced):
        services.post(
            "bad-1",
            "manual",
            [
                Leg(domain.buyer(BUYER, USD), usd(100)),
                Leg(domain.clearing(USD), usd(-99)),
            ],
        )
    assert not Entry.objects.exists()


def test_each_currency_of_an_entry_must_balance_on_its_own() -> None:
    with pytest.raises(domain.Unbalanced):
        services.post(
            "bad-2",
            "manual",
            [
                Leg(domain.buyer(BUYER, USD), usd(100)),
                Leg(domain.clearing("EUR"), Money(-100, "EUR")),
            ],
        )


def test_posting_the_same_reference_twice_is_refused() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(500), "topup-dup")
    with pytest.raises(errors.DuplicateReference):
        services.top_up(BALANCE_ON, BUYER, usd(500), "topup-dup")
    assert buyer_balance() == 500
    assert Entry.objects.filter(reference="topup-dup").count() == 1


def test_paying_more_than_the_balance_is_refused_and_changes_nothing() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(1_000), "topup-2")
    with pytest.raises(errors.InsufficientFunds):
        services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(1_001), "pay-too-much")
    assert buyer_balance() == 1_000
    assert not Entry.objects.filter(reference="pay-too-much").exists()


def test_payment_splits_the_fee_to_the_house() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(10_000), "topup-3")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(5_000), "pay-1", fee=usd(150))
    assert buyer_balance() == 5_000
    assert services.balance(domain.merchant(SHOP, USD)).minor == 4_850
    assert services.balance(domain.fees(USD)).minor == 150


def test_merchant_payable_is_split_into_shards_and_summed_on_read() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(100_000), "topup-4")
    for n in range(40):
        services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(100), f"pay-s{n}")
    rows = Account.objects.filter(owner=SHOP, kind=AccountKind.MERCHANT_PAYABLE)
    assert rows.count() == domain.MERCHANT_PAYABLE_SHARDS
    assert rows.filter(balance__gt=0).count() > 1  # the credits were spread out
    assert services.balance(domain.merchant(SHOP, USD)).minor == 4_000


def test_a_refund_larger_than_the_shards_hold_individually_still_succeeds() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(100_000), "topup-5")
    for n in range(16):
        services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(100), f"pay-r{n}")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(1_000), "pay-big")
    # the merchant's shards are drained by another payment's refund first
    services.refund_payment("pay-big", usd(1_000), "refund-big")
    assert services.balance(domain.merchant(SHOP, USD)).minor == 1_600


def test_refunds_never_exceed_the_payment() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(10_000), "topup-6")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(3_000), "pay-2")
    services.refund_payment("pay-2", usd(2_000), "refund-1")
    with pytest.raises(errors.RefundTooLarge):
        services.refund_payment("pay-2", usd(1_001), "refund-2")
    services.refund_payment("pay-2", usd(1_000), "refund-3")
    assert buyer_balance() == 10_000


def test_a_reversal_negates_every_posting_of_the_entry() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(10_000), "topup-7")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(2_500), "pay-3", fee=usd(50))
    reversal = services.reverse("pay-3", "pay-3-reversal")
    assert buyer_balance() == 10_000
    assert services.balance(domain.merchant(SHOP, USD)).minor == 0
    assert services.balance(domain.fees(USD)).minor == 0
    assert Entry.objects.get(pk=reversal.id).reverses is not None


def test_an_entry_is_reversed_only_once() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(1_000), "topup-8")
    services.reverse("topup-8", "topup-8-rev")
    with pytest.raises(errors.NotReversible):
        services.reverse("topup-8", "topup-8-rev-again")


def test_a_reversal_cannot_itself_be_reversed() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(1_000), "topup-9")
    services.reverse("topup-9", "topup-9-rev")
    with pytest.raises(errors.NotReversible):
        services.reverse("topup-9-rev", "topup-9-rev-rev")


def test_a_payment_with_refunds_cannot_be_reversed() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(1_000), "topup-10")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(500), "pay-4")
    services.refund_payment("pay-4", usd(100), "refund-4")
    with pytest.raises(errors.NotReversible):
        services.reverse("pay-4", "pay-4-rev")


def test_reversing_a_spent_top_up_is_refused() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(1_000), "topup-11")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(600), "pay-5")
    with pytest.raises(errors.InsufficientFunds):
        services.reverse("topup-11", "topup-11-rev")


def test_reversing_an_unknown_entry_is_a_clear_error() -> None:
    with pytest.raises(errors.EntryNotFound):
        services.reverse("nope", "nope-rev")


def test_withdrawal_waits_in_transit_until_the_network_pays_out() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(1_000), "topup-12")
    services.withdraw_to_card(BALANCE_ON, BUYER, usd(400), "wd-1")
    assert buyer_balance() == 600
    assert services.balance(domain.refunds_in_transit(USD)).minor == 400
    services.settle_withdrawal("wd-1", "wd-1-paid")
    assert services.balance(domain.refunds_in_transit(USD)).minor == 0
    with pytest.raises(errors.WithdrawalClosed):
        services.settle_withdrawal("wd-1", "wd-1-paid-again")


def test_a_retried_refund_payout_or_reversal_says_it_was_already_recorded() -> None:
    """A client retrying after a timeout learns the event happened, whatever changed since
    (not "refund too large", "withdrawal closed" or "not reversible")."""
    services.top_up(BALANCE_ON, BUYER, usd(1_000), "topup-retry")
    services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(500), "pay-retry")
    services.refund_payment("pay-retry", usd(500), "refund-retry")
    services.withdraw_to_card(BALANCE_ON, BUYER, usd(300), "wd-retry")
    services.settle_withdrawal("wd-retry", "wd-retry-paid")
    services.top_up(BALANCE_ON, BUYER, usd(100), "topup-retry-2")
    services.reverse("topup-retry-2", "topup-retry-2-rev")
    entries = Entry.objects.count()

    with pytest.raises(errors.DuplicateReference):
        services.refund_payment("pay-retry", usd(500), "refund-retry")
    with pytest.raises(errors.DuplicateReference):
        services.settle_withdrawal("wd-retry", "wd-retry-paid")
    with pytest.raises(errors.DuplicateReference):
        services.reverse("topup-retry-2", "topup-retry-2-rev")

    assert Entry.objects.count() == entries
    assert buyer_balance() == 1_000 - 300
    assert services.check() == []


@pytest.mark.parametrize("operation", ["top_up", "pay", "withdraw"])
def test_every_balance_entry_point_refuses_when_the_platform_switched_it_off(
    operation: str,
) -> None:
    with pytest.raises(errors.BalanceDisabled) as caught:
        if operation == "top_up":
            services.top_up(BALANCE_OFF, BUYER, usd(100), "off-1")
        elif operation == "pay":
            services.pay_from_balance(BALANCE_OFF, BUYER, SHOP, usd(100), "off-1")
        else:
            services.withdraw_to_card(BALANCE_OFF, BUYER, usd(100), "off-1")
    assert caught.value.code == "balance_disabled"
    assert not Entry.objects.exists()


def test_balance_disabled_message_is_shown_in_the_buyers_language() -> None:
    error = errors.BalanceDisabled()
    with translation.override("en"):
        assert str(error.message) == (
            "The balance cannot be used: top-ups and payments from the balance are switched off."
        )
    with translation.override("ru"):
        assert str(error.message) == (
            "Баланс недоступен: пополнение и оплата с баланса отключены."  # noqa: RUF001
        )


def test_entries_and_postings_cannot_be_changed_through_the_orm() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(100), "topup-13")
    entry = Entry.objects.get(reference="topup-13")
    entry.description = "edited"
    with pytest.raises(ImmutableRecord):
        entry.save()
    with pytest.raises(ImmutableRecord):
        entry.delete()
    with pytest.raises(ImmutableRecord):
        Posting.objects.filter(entry=entry).first().save()  # type: ignore[union-attr]


def test_the_database_refuses_to_update_a_posting() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(100), "topup-14")
    with pytest.raises(DatabaseError), transaction.atomic():
        Posting.objects.filter(entry__reference="topup-14").update(amount=1)


def test_the_database_refuses_a_negative_buyer_balance() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(100), "topup-15")
    with pytest.raises(DatabaseError), transaction.atomic():
        Account.objects.filter(owner=BUYER).update(balance=-1)


def test_balance_reads_one_row_whatever_the_history() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(100_000), "topup-16")
    for n in range(30):
        services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(10), f"pay-h{n}")
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert buyer_balance() == 99_700
    assert len(queries) == 1
    assert "ledger_posting" not in queries[0]["sql"]


# --- statements -----------------------------------------------------------------------


def _history() -> None:
    start = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        services.top_up(BALANCE_ON, BUYER, usd(10_000), "st-topup")
        for n in range(7):
            clock.shift(dt.timedelta(hours=1))
            services.pay_from_balance(BALANCE_ON, BUYER, SHOP, usd(100 + n), f"st-pay-{n}")
        clock.shift(dt.timedelta(hours=1))
        services.withdraw_to_card(BALANCE_ON, BUYER, usd(1_000), "st-wd")


def test_statement_pages_newest_first_with_a_cursor() -> None:
    _history()
    ref = domain.buyer(BUYER, USD)
    first = services.statement(ref, limit=4)
    assert [line.reference for line in first.lines] == ["st-wd", "st-pay-6", "st-pay-5", "st-pay-4"]
    assert first.lines[0].balance_after == usd(10_000 - sum(range(100, 107)) - 1_000)
    assert first.next_cursor
    second = services.statement(ref, limit=4, cursor=first.next_cursor)
    assert [line.reference for line in second.lines] == [
        "st-pay-3", "st-pay-2", "st-pay-1", "st-pay-0",
    ]  # fmt: skip
    third = services.statement(ref, limit=4, cursor=second.next_cursor)
    assert [line.reference for line in third.lines] == ["st-topup"]
    assert third.next_cursor is None


def test_statement_filters_by_time_and_kind() -> None:
    _history()
    ref = domain.buyer(BUYER, USD)
    payments = services.statement(ref, kinds=["payment"], limit=100)
    assert len(payments.lines) == 7
    window = services.statement(
        ref,
        since=dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC),
        until=dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
    )
    assert [line.reference for line in window.lines] == ["st-pay-1", "st-pay-0"]


def test_a_malformed_cursor_is_refused() -> None:
    with pytest.raises(ValueError, match="cursor"):
        services.statement(domain.buyer(BUYER, USD), cursor="not-a-cursor")


def test_statement_exports_as_csv_with_exact_amounts() -> None:
    _history()
    out = io.StringIO()
    count = services.write_statement_csv(out, domain.buyer(BUYER, USD))
    lines = out.getvalue().splitlines()
    assert count == 9
    assert lines[0] == "posted_at,reference,kind,description,amount,currency,balance_after"
    assert lines[1].split(",")[1:] == [
        "st-wd", "withdrawal", "Withdrawal to card", "-10.00", "USD", "82.79",
    ]  # fmt: skip
    assert lines[-1].endswith(",st-topup,topup,Top-up by card,100.00,USD,100.00")


def test_csv_export_neutralises_spreadsheet_formulas() -> None:
    services.post(
        "=HYPERLINK(1)",
        "manual",
        [Leg(domain.buyer(BUYER, USD), usd(5)), Leg(domain.clearing(USD), usd(-5))],
        description="@SUM(A1)",
    )
    out = io.StringIO()
    services.write_statement_csv(out, domain.buyer(BUYER, USD))
    assert "'=HYPERLINK(1)" in out.getvalue()
    assert "'@SUM(A1)" in out.getvalue()


# --- check and report -----------------------------------------------------------------


def test_check_finds_nothing_wrong_in_a_healthy_ledger() -> None:
    _history()
    assert services.check() == []


def test_check_lists_a_corrupted_stored_balance() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(700), "topup-17")
    Account.objects.filter(owner=BUYER).update(balance=650)
    rules = {violation.rule for violation in services.check()}
    assert rules == {"balance-mismatch", "balance-after", "currency-not-zero"}


def test_report_totals_by_currency_and_kind() -> None:
    services.top_up(BALANCE_ON, BUYER, usd(700), "topup-18")
    services.top_up(BALANCE_ON, BUYER, Money(900, "JPY"), "topup-19")
    rows = {(row.currency, row.kind): row.total for row in services.report()}
    assert rows[(USD, "buyer_balance")] == usd(700)
    assert rows[(USD, "card_clearing")] == usd(-700)
    assert rows[("JPY", "buyer_balance")] == Money(900, "JPY")


def test_no_ledger_or_fx_column_holds_money_as_a_float_or_decimal() -> None:
    from django.apps import apps
    from django.db import models

    for label in ("ledger", "fx"):
        for model in apps.get_app_config(label).get_models():
            for model_field in model._meta.get_fields():
                assert not isinstance(model_field, models.FloatField | models.DecimalField), (
                    f"{model.__name__}.{model_field.name}"
                )
