"""A payment paid from the balance in another currency: a quote for exactly the payment's
amount, converted and held in one transaction (docs/payments.md, "Money in the ledger")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from tests.wallet.accounts.support import registered_buyer
from tests.wallet.payments.support import DB, create, make_platform, pay_proof, payable
from zhifu.accounts import services as accounts
from zhifu.accounts.models import Platform, User
from zhifu.fx import domain as fx_domain
from zhifu.fx import services as fx
from zhifu.fx.models import Quote
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import services as ledger
from zhifu.ledger.models import Entry
from zhifu.payments import errors, services
from zhifu.payments.domain import PaymentStatus

pytestmark = DB
S = PaymentStatus
AMOUNT = Money(178000, "RUB")  # 1,780.00 RUB
# 78.31 RUB per USD less the 0.5 % spread = 77.918450; 1,780.00 / 77.91845 = 22.844... USD
TAKE = Money(2285, "USD")


@pytest.fixture
def shop(db: Any) -> Platform:
    fx.import_rates([fx_domain.Rate("USD", "RUB", Decimal("78.31"), clock.now(), "test")])
    return make_platform("bal", balance=True)


def top_up(user: User, money: Money) -> None:
    ledger.top_up(
        ledger_domain.BALANCE_ON, accounts.balance_owner(user), money, f"topup-{user.pk}-{money}"
    )


def balance_of(user: User, currency: str) -> int:
    return ledger.balance(ledger_domain.buyer(accounts.balance_owner(user), currency)).minor


def fx_option(user: User, payment_id: str) -> services.BalanceOption:
    options = [o for o in services.cashier(user, payment_id).balance_options if o.quote_id]
    assert len(options) == 1
    return options[0]


def pay(user: User, payment_id: str, quote_id: str | None) -> services.Outcome:
    return services.pay_with_balance(
        user, payment_id, step_up=pay_proof(user, payment_id), quote_id=quote_id
    )


def nothing_written(user: User, payment_id: str, usd: int) -> None:
    assert services.cashier(user, payment_id).payment.status is S.REQUIRES_PAYMENT_METHOD
    assert balance_of(user, "USD") == usd
    assert balance_of(user, "RUB") == 0
    assert not Entry.objects.filter(reference__startswith=payment_id).exists()
    assert ledger.check() == []


def test_a_usd_balance_pays_a_rub_payment_at_the_locked_quote(shop: Platform, buyer: User) -> None:
    top_up(buyer, Money(10000, "USD"))
    payment = create(shop, AMOUNT)
    option = fx_option(buyer, payment.id)
    assert option.take == TAKE
    assert option.balance == Money(10000, "USD")
    assert option.rate == Decimal("77.918450")
    assert option.expires_at is not None
    assert clock.now() < option.expires_at <= clock.now() + dt.timedelta(seconds=60)

    outcome = pay(buyer, payment.id, option.quote_id)
    assert isinstance(outcome, services.Paid)
    assert outcome.payment.status is S.SUCCEEDED
    assert balance_of(buyer, "USD") == 10000 - TAKE.minor
    assert balance_of(buyer, "RUB") == 0  # converted exactly what the hold needed
    assert payable("bal", "RUB") == AMOUNT.minor
    assert ledger.balance(ledger_domain.fx_position("USD")).minor == TAKE.minor
    assert ledger.balance(ledger_domain.fx_position("RUB")).minor == -AMOUNT.minor
    fx_entry = Entry.objects.get(reference=f"{payment.id}:fx")
    assert fx_entry.kind == "fx"
    assert fx_entry.metadata["quote"] == option.quote_id
    assert Entry.objects.filter(reference=f"{payment.id}:hold").exists()
    assert Quote.objects.get(public_id=option.quote_id).used_by == f"{payment.id}:fx"
    # A refund goes back to the balance in the payment's currency: no reconversion.
    services.create_refund(shop, payment_id=payment.id, amount=50000)
    assert balance_of(buyer, "RUB") == 50000
    assert balance_of(buyer, "USD") == 10000 - TAKE.minor
    assert ledger.check() == []


def test_the_own_currency_comes_first_and_small_balances_are_not_offered(
    shop: Platform, buyer: User
) -> None:
    top_up(buyer, AMOUNT)
    top_up(buyer, Money(2284, "USD"))  # one cent short of TAKE
    payment = create(shop, AMOUNT)
    options = services.cashier(buyer, payment.id).balance_options
    assert options == (services.BalanceOption(balance=AMOUNT, take=AMOUNT),)


def test_not_enough_in_the_other_currency_changes_nothing(shop: Platform, buyer: User) -> None:
    top_up(buyer, Money(2284, "USD"))
    payment = create(shop, AMOUNT)
    services.cashier(buyer, payment.id)
    quote = fx.quote_to_receive(accounts.balance_owner(buyer), AMOUNT, "USD")
    assert quote.sell == TAKE
    with pytest.raises(errors.BalanceInsufficient):
        pay(buyer, payment.id, quote.id)
    nothing_written(buyer, payment.id, 2284)
    assert Quote.objects.get(public_id=quote.id).used_by is None


def test_an_expired_quote_is_refused_with_a_clear_message(shop: Platform, buyer: User) -> None:
    top_up(buyer, Money(10000, "USD"))
    payment = create(shop, AMOUNT)
    option = fx_option(buyer, payment.id)
    with time_machine.travel(clock.now() + dt.timedelta(seconds=60), tick=False):
        with pytest.raises(errors.ExchangeExpired) as refused:
            pay(buyer, payment.id, option.quote_id)
        assert "locked for a limited time" in refused.value.message
        nothing_written(buyer, payment.id, 10000)
        # The cashier offers a fresh quote, which pays.
        fresh = fx_option(buyer, payment.id)
        assert fresh.quote_id != option.quote_id
        assert isinstance(pay(buyer, payment.id, fresh.quote_id), services.Paid)


def test_another_buyers_quote_a_used_one_or_one_for_another_amount_is_refused(
    shop: Platform, buyer: User
) -> None:
    other = registered_buyer("other@example.com")
    top_up(buyer, Money(10000, "USD"))
    top_up(other, Money(10000, "USD"))
    payment = create(shop, AMOUNT)
    services.cashier(buyer, payment.id)
    theirs = fx.quote_to_receive(accounts.balance_owner(other), AMOUNT, "USD")
    smaller = fx.quote_to_receive(accounts.balance_owner(buyer), Money(100, "RUB"), "USD")
    sold = fx.quote(accounts.balance_owner(buyer), Money(2285, "USD"), "RUB")
    for quote_id in (theirs.id, smaller.id, sold.id, "quo_nope", "<script>", "x" * 300):
        with pytest.raises(errors.ExchangeInvalid):
            pay(buyer, payment.id, quote_id)
    nothing_written(buyer, payment.id, 10000)
    assert balance_of(other, "USD") == 10000

    option = fx_option(buyer, payment.id)
    pay(buyer, payment.id, option.quote_id)
    second = create(shop, AMOUNT)
    services.cashier(buyer, second.id)
    with pytest.raises(errors.ExchangeInvalid):  # a quote is used once
        pay(buyer, second.id, option.quote_id)
    assert ledger.check() == []


def test_a_failure_after_the_conversion_rolls_the_conversion_back(
    shop: Platform, buyer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    top_up(buyer, Money(10000, "USD"))
    payment = create(shop, AMOUNT)
    option = fx_option(buyer, payment.id)

    def crash(*args: Any, **kwargs: Any) -> Any:
        assert balance_of(buyer, "RUB") == AMOUNT.minor  # converted, inside the transaction
        raise RuntimeError("crash between the conversion and the hold")

    monkeypatch.setattr(services.ledger, "hold_payment", crash)
    with pytest.raises(RuntimeError):
        pay(buyer, payment.id, option.quote_id)
    monkeypatch.undo()
    nothing_written(buyer, payment.id, 10000)
    assert Quote.objects.get(public_id=option.quote_id).used_by is None
    assert ledger.balance(ledger_domain.fx_position("USD")).minor == 0
    # Nothing was half-written: the same quote still pays, once.
    assert isinstance(pay(buyer, payment.id, option.quote_id), services.Paid)
    assert ledger.check() == []


def test_the_balance_switched_off_offers_and_converts_nothing(shop: Platform, buyer: User) -> None:
    top_up(buyer, Money(10000, "USD"))
    payment = create(shop, AMOUNT)
    option = fx_option(buyer, payment.id)
    shop.balance_enabled = False
    shop.save()
    assert services.cashier(buyer, payment.id).balance_options == ()
    with pytest.raises(errors.BalanceUnavailable):
        pay(buyer, payment.id, option.quote_id)
    nothing_written(buyer, payment.id, 10000)


@pytest.mark.django_db(transaction=True, databases=["default", "vault"])
def test_convert_within_needs_the_callers_transaction(shop: Platform) -> None:
    with pytest.raises(RuntimeError, match="caller's transaction"):
        fx.convert_within(
            ledger_domain.BALANCE_ON, "user:1", "quo_x", "ref-1", receive=Money(1, "RUB")
        )
