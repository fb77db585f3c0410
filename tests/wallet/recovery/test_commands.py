"""Operators: the audit log, lifting a recovery lock, unfreezing (zhifu recovery ...)."""

from __future__ import annotations

import pytest

from tests.wallet.recovery.support import buyer_client
from zhifu.accounts.models import Platform
from zhifu.cli import main
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
