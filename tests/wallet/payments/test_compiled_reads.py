"""zhifu.db.CompiledQuery: the shop's hot reads with their SQL built once give exactly the
rows the ORM's queryset gives (every field, Django's converters applied), on both
databases; values of another type run the queryset itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from tests.wallet.payments.support import DB, create, make_platform
from zhifu.accounts.models import Platform
from zhifu.db import CompiledQuery
from zhifu.kernel import clock
from zhifu.payments import services
from zhifu.payments.models import Payment as PaymentRow

pytestmark = DB


def _fields(row: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


def _by_id(platform_id: int, payment_id: str | None, *, livemode: bool) -> Any:
    rows = PaymentRow.objects.filter(platform_id=platform_id, livemode=livemode)
    if payment_id is not None:
        rows = rows.filter(id=payment_id)
    return rows.order_by("-id")


def test_rows_are_the_orms_field_for_field(shop: Platform) -> None:
    made = [create(shop, 1500 + n, metadata={"n": str(n), "ключ": "значение"}) for n in range(3)]
    PaymentRow.objects.filter(id=made[0].id).update(canceled_at=clock.now())
    query = CompiledQuery(_by_id)
    for payment in made:
        (row,) = query.fetch(shop.pk, payment.id, livemode=False)
        (orm,) = _by_id(shop.pk, payment.id, livemode=False)
        assert _fields(row) == _fields(orm)
        assert isinstance(row.metadata, dict)
        assert row.created_at.tzinfo is not None
        assert row.livemode is False
        assert not row._state.adding
    assert [_fields(r) for r in query.fetch(shop.pk, None, livemode=False)] == [
        _fields(r) for r in _by_id(shop.pk, None, livemode=False)
    ]
    assert query.fetch(shop.pk, made[0].id, livemode=True) == []


def test_the_sql_is_built_once_per_shape(shop: Platform) -> None:
    one, two = create(shop), create(shop)
    query = CompiledQuery(_by_id)
    query.fetch(shop.pk, one.id, livemode=False)
    with CaptureQueriesContext(connection) as sent:
        (row,) = query.fetch(shop.pk, two.id, livemode=False)
    assert row.id == two.id
    assert len(sent.captured_queries) == 1
    assert len(query._plans) == 1
    query.fetch(shop.pk, None, livemode=False)
    query.fetch(shop.pk, one.id, livemode=True)
    assert len(query._plans) == 3


def test_a_value_of_another_type_runs_the_queryset(shop: Platform) -> None:
    payment = create(shop)

    def since(platform_id: int, after: dt.datetime | None) -> Any:
        rows = PaymentRow.objects.filter(platform_id=platform_id)
        return rows if after is None else rows.filter(created_at__gte=after)

    query = CompiledQuery(since)
    (row,) = query.fetch(shop.pk, clock.now() - dt.timedelta(hours=1))
    assert row.id == payment.id
    assert not query._plans


def test_select_related_rows_are_the_orms_too(shop: Platform) -> None:
    payment = create(shop)

    def joined(pk: str) -> Any:
        return PaymentRow.objects.select_related("platform").filter(pk=pk)

    query = CompiledQuery(joined)
    query.fetch(payment.id)
    (row,) = query.fetch(payment.id)
    (orm,) = joined(payment.id)
    assert _fields(row) == _fields(orm)
    with CaptureQueriesContext(connection) as sent:
        assert _fields(row.platform) == _fields(orm.platform)
    assert not sent.captured_queries  # populated, not loaded


def test_other_columns_and_changed_values_are_refused(shop: Platform) -> None:
    create(shop)
    with pytest.raises(ValueError, match="own columns"):
        CompiledQuery(lambda pk: PaymentRow.objects.filter(pk=pk).only("id")).fetch("x")
    with pytest.raises(ValueError, match="unchanged"):  # the lookup rewrites its value
        CompiledQuery(lambda ref: PaymentRow.objects.filter(order_reference__contains=ref)).fetch(
            "order"
        )


@pytest.mark.django_db(databases=["default", "vault"], transaction=True)
def test_a_locking_read_needs_a_transaction(shop: Platform) -> None:
    payment = create(shop)
    query = CompiledQuery(lambda pk: PaymentRow.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert [r.id for r in query.fetch(payment.id)] == [payment.id]
    if connection.features.has_select_for_update:
        with pytest.raises(transaction.TransactionManagementError):
            query.fetch(payment.id)


def test_the_shops_reads_see_only_their_own(shop: Platform) -> None:
    other = make_platform("other")
    mine, theirs = create(shop), create(other)
    assert services.get_payment(shop, mine.id) == mine
    assert services.get_payment(shop, mine.id, livemode=False) == mine
    with pytest.raises(services.errors.PaymentNotFound):
        services.get_payment(shop, theirs.id)
    with pytest.raises(services.errors.PaymentNotFound):
        services.get_payment(shop, mine.id, livemode=True)
    assert [p.id for p in services.list_payments(shop).items] == [mine.id]
    assert services.list_payments(shop, livemode=True).items == []


def test_the_cashiers_lock_is_the_orms_and_not_found_is_refused(shop: Platform) -> None:
    payment = create(shop)
    with transaction.atomic():
        row = services._lock(payment.id)
        orm = PaymentRow.objects.select_related("platform").select_for_update().get(id=payment.id)
        assert _fields(row) == _fields(orm)
        assert _fields(row.platform) == _fields(orm.platform)
        with pytest.raises(services.errors.PaymentNotFound):
            services._lock("pay_00000000000000000000000000")
