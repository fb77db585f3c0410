"""`zhifu payments reconcile | expire` in-process, and the worker running them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.wallet.accounts.support import registered_buyer
from tests.wallet.payments.support import LosingNetwork, create, make_platform, pay_saved, save_card
from zhifu.cli import main
from zhifu.connectors.base import Flow
from zhifu.kernel import clock
from zhifu.outbox import worker
from zhifu.payments import commands, services
from zhifu.payments.domain import PaymentStatus

# The commands open and close their own connections, so the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "vault"])


def test_reconcile_settles_a_lost_answer_and_says_so(
    losing: LosingNetwork, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = make_platform()
    buyer = registered_buyer("cli@example.com")
    card = save_card(buyer, losing)
    losing.lose = {Flow.AUTHORIZE}
    payment = create(shop, manual=True)
    pay_saved(buyer, payment, card)
    losing.lose = set()

    assert main(["payments", "reconcile"]) == 0
    assert "0 open call(s)" in capsys.readouterr().out  # too young: left to its request
    assert main(["payments", "reconcile", "--all"]) == 0
    assert "1 open call(s), 1 settled, 0 still open" in capsys.readouterr().out
    assert services.get_payment(shop, payment.id).status is PaymentStatus.REQUIRES_CAPTURE


def test_expire_expires_what_is_due(capsys: pytest.CaptureFixture[str]) -> None:
    shop = make_platform()
    payment = create(shop)
    with time_machine.travel(payment.expires_at, tick=False):
        assert main(["payments", "expire"]) == 0
    assert "1 payment(s) expired" in capsys.readouterr().out
    assert services.get_payment(shop, payment.id).status is PaymentStatus.EXPIRED


def test_the_worker_runs_the_payments_jobs_and_survives_a_failing_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = make_platform()
    payment = create(shop)
    ran: list[str] = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("a job that fails")

    jobs = [worker.Job(name, every, job) for name, every, job in commands.worker_jobs()]
    with time_machine.travel(clock.now() + dt.timedelta(hours=2), tick=False):
        worker.run(once=True, jobs=[worker.Job("broken", 1.0, broken), *jobs])
    assert ran == ["broken"]
    assert services.get_payment(shop, payment.id).status is PaymentStatus.EXPIRED


def test_jobs_run_at_most_once_per_interval() -> None:
    ran: list[float] = []
    job = worker.Job("tick", 10.0, lambda: ran.append(1.0))
    last: dict[str, Any] = {}
    for now in (0.0, 5.0, 10.0, 12.0, 25.0):
        worker._run_due([job], last, now)
    assert len(ran) == 3  # at 0, 10 and 25
