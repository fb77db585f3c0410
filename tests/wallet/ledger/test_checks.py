"""The ledger's invariants, one check each: named, and each answerable on its own."""

from __future__ import annotations

import pytest

from zhifu.kernel.money import Money
from zhifu.ledger import checks, services
from zhifu.ledger.domain import BALANCE_ON
from zhifu.ledger.models import Account

pytestmark = pytest.mark.django_db


def test_each_invariant_holds_on_its_own_over_a_healthy_ledger() -> None:
    services.top_up(BALANCE_ON, "user:1", Money(5_000, "USD"), "checks-topup")
    services.pay_from_balance(BALANCE_ON, "user:1", "merchant:m", Money(1_500, "USD"), "checks-pay")
    assert [check.__name__ for check in checks.CHECKS if check()] == []
    assert services.check() == []


def test_a_tampered_balance_is_reported_by_the_checks_that_cover_it() -> None:
    services.top_up(BALANCE_ON, "user:1", Money(5_000, "USD"), "checks-topup-2")
    account = Account.objects.get(owner="user:1")
    Account.objects.filter(pk=account.pk).update(balance=account.balance + 1)

    failing = {check.__name__ for check in checks.CHECKS if check()}

    assert failing == {"balances_match_postings", "newest_balance_after", "currencies_net_to_zero"}
    assert [v.rule for v in services.check()] == [
        "balance-mismatch",
        "balance-after",
        "currency-not-zero",
    ]
