"""The payments' writes send only the columns a step changed (zhifu.db.save_changes) with
SQL built once: every field a step changes must reach the database. The use cases'
tests run again here with every write checked: after each save or insert the row is read
back and compared with the object in memory, field for field."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from tests.wallet.payments import test_services, test_services_flows, test_services_transitions
from tests.wallet.payments.support import DB, create
from zhifu import db
from zhifu.accounts.models import Platform
from zhifu.payments import services
from zhifu.payments.models import Payment as PaymentRow

pytestmark = DB  # as the modules whose tests run here again
CHECKED: list[str] = []


def _same_as_stored(obj: Any) -> None:
    stored = type(obj)._base_manager.using(obj._state.db).get(pk=obj.pk)
    for field in obj._meta.concrete_fields:
        mine, theirs = getattr(obj, field.attname), getattr(stored, field.attname)
        assert mine == theirs, f"{type(obj).__name__}.{field.attname}: {mine!r} != {theirs!r}"
    CHECKED.append(type(obj).__name__)


@pytest.fixture(autouse=True)
def checked_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    save, insert = db.save_changes, db.insert

    def saving(obj: Any) -> None:
        save(obj)
        _same_as_stored(obj)

    def inserting(obj: Any) -> Any:
        insert(obj)
        _same_as_stored(obj)
        return obj

    monkeypatch.setattr(services, "save_changes", saving)
    monkeypatch.setattr(services, "insert", inserting)


# The use cases' own tests, each write checked (pytest collects them here again).
for _module in (test_services, test_services_flows, test_services_transitions):
    for _name in dir(_module):
        if _name.startswith("test_"):
            globals()[_name] = getattr(_module, _name)
balance_shop = test_services_flows.balance_shop  # their fixture


def test_the_checks_ran(shop: Platform) -> None:
    CHECKED.clear()
    payment = create(shop)
    services.cancel_payment(shop, payment.id)
    assert CHECKED == ["Payment", "Payment"]


def test_only_changed_columns_are_sent_and_nothing_when_none_changed(shop: Platform) -> None:
    row = PaymentRow.objects.get(id=create(shop).id)
    with CaptureQueriesContext(connection) as sent:
        db.save_changes(row)
    assert len(sent) == 0
    row.failure_code = "x"
    row.metadata["cart"] = "8"  # changed in place: still seen
    with CaptureQueriesContext(connection) as sent:
        db.save_changes(row)
    (update,) = [q["sql"] for q in sent]
    assert update.startswith("UPDATE")
    assert '"failure_code"' in update
    assert '"metadata"' in update
    assert '"status"' not in update
    assert '"amount"' not in update
    stored = PaymentRow.objects.get(id=row.id)
    assert (stored.failure_code, stored.metadata) == ("x", {"cart": "8"})


def test_a_row_that_is_gone_is_an_error_as_with_update_fields(shop: Platform) -> None:
    row = PaymentRow.objects.get(id=create(shop).id)
    PaymentRow.objects.filter(id=row.id).delete()
    row.failure_code = "x"
    with pytest.raises(DatabaseError):
        db.save_changes(row)


def test_update_where_tests_the_condition(shop: Platform) -> None:
    payment = create(shop)
    assert db.update_where(PaymentRow, payment.id, {"declines": 1}, {"status": "canceled"}) == 0
    assert db.update_where(PaymentRow, payment.id, {"declines": 1}, {"status": payment.status}) == 1
    assert PaymentRow.objects.get(id=payment.id).declines == 1
