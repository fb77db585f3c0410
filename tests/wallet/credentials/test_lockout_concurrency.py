"""Concurrent wrong guesses cannot slip past the limit (row locks; PostgreSQL only)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.wallet.accounts.support import registered_buyer
from zhifu.credentials import services
from zhifu.credentials.models import PaymentPassword


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_wrong_guesses_check_at_most_five() -> None:
    user = registered_buyer()

    def guess(_: int) -> str:
        try:
            return "ok" if services.verify_payment_password(user, "000001") else "wrong"
        except services.PaymentPasswordLocked:
            return "locked"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(guess, range(20)))
    assert results.count("wrong") == 4
    assert results.count("locked") == 16  # the 5th wrong guess locks; the rest see the lock
    assert PaymentPassword.objects.get(user=user).failures == 5
