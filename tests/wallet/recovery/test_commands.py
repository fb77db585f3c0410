"""Operators: the audit log, lifting a recovery lock, unfreezing (zhifu recovery ...)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.wallet.recovery.support import buyer_client
from zhifu.accounts.models import Platform
from zhifu.cli import main
from zhifu.kernel import clock
from zhifu.recovery.models import SelfServiceLock
from zhifu.security import services as security
from zhifu.security.domain import EventKind

pytestmark = pytest.mark.django_db(transaction=True)


def test_log_unlock_and_unfreeze(platform: Platform, capsys: pytest.CaptureFixture[str]) -> None:
    user, _ = buyer_client(platform)
    token = security.set_origin("203.0.113.57", "curl/8")
    security.record(user, EventKind.PIN_WRONG)
    security.reset_origin(token)
    assert main(["recovery", "log", "--user", str(user.pk)]) == 0
    assert "pin_wrong ip=203.0.113.57" in capsys.readouterr().out  # full address: operators

    SelfServiceLock.objects.create(user=user)
    assert main(["recovery", "unlock", str(user.pk)]) == 0
    assert not SelfServiceLock.objects.exists()
    assert main(["recovery", "unlock", str(user.pk)]) == 1

    security.freeze(user)
    assert main(["recovery", "unfreeze", str(user.pk)]) == 0
    assert not security.restrictions(user).frozen
    assert main(["recovery", "unfreeze", str(user.pk)]) == 1


def test_the_audit_log_filters_by_buyer_address_event_and_time(
    platform: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    anna, _ = buyer_client(platform, "anna@example.com")
    boris, _ = buyer_client(platform, "boris@example.com")
    start = clock.now()
    with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
        security.record(anna, EventKind.PIN_WRONG)
        security.record(boris, EventKind.PIN_WRONG)
    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        security.record(anna, EventKind.PIN_LOCKED)
    capsys.readouterr()

    def lines(*args: str) -> list[str]:
        assert main(["recovery", "log", *args]) == 0
        return [" ".join(line.split()[1:3]) for line in capsys.readouterr().out.splitlines()]

    a, b = f"user={anna.pk}", f"user={boris.pk}"
    assert lines("--email", "ANNA@example.com", "--kind", "pin_wrong") == [f"{a} pin_wrong"]
    assert lines("--kind", "pin_wrong") == [f"{b} pin_wrong", f"{a} pin_wrong"]
    since = (start + dt.timedelta(hours=2)).isoformat()
    assert lines("--user", str(anna.pk), "--since", since) == [f"{a} pin_locked"]
    assert lines("--kind", "pin_wrong", "--until", since) == [f"{b} pin_wrong", f"{a} pin_wrong"]
    assert lines("--kind", "pin_locked", "--until", since) == []
    assert main(["recovery", "log", "--email", "nobody@example.com"]) == 1
