"""The SDK against the real merchant API over HTTP (pytest-django's live server)."""

from __future__ import annotations

import pytest

from tests.wallet.merchants.support import new_key, new_platform
from zhifu.client import (
    AuthenticationError,
    Client,
    ConflictError,
    IdempotencyError,
    InvalidRequestError,
    NotFoundError,
    Payment,
)


def create(sdk: Client, n: int = 1, **extra: object) -> Payment:
    return sdk.payments.create(
        amount=1500 + n,
        currency="USD",
        order_reference=f"order-{n}",
        return_url="https://shop.example/orders/1",
        **extra,  # type: ignore[arg-type]
    )


def test_create_retrieve_cancel(sdk: Client) -> None:
    made = create(sdk, metadata={"cart": "7"}, description="Lantern")
    assert made.status == "requires_payment_method"
    assert made.cashier_url.endswith(f"/pay/{made.id}/")
    again = sdk.payments.retrieve(made.id)
    assert again == made
    canceled = sdk.payments.cancel(made.id)
    assert canceled.status == "canceled"
    assert canceled.canceled_at is not None
    with pytest.raises(ConflictError) as caught:
        sdk.payments.cancel(made.id)
    assert caught.value.code == "payment_unexpected_state"
    assert caught.value.http_status == 409


def test_an_explicit_idempotency_key_makes_one_payment(sdk: Client) -> None:
    first = create(sdk, idempotency_key="order-1-attempt-1")
    second = create(sdk, idempotency_key="order-1-attempt-1")
    assert first.id == second.id
    with pytest.raises(IdempotencyError) as caught:
        create(sdk, 2, idempotency_key="order-1-attempt-1")
    assert caught.value.code == "idempotency_key_reused"


def test_auto_paging_walks_every_page(sdk: Client) -> None:
    made = [create(sdk, n).id for n in range(5)]
    page = sdk.payments.list(limit=2)
    assert len(page) == 2
    assert page.has_more
    assert [p.id for p in page.auto_paging_iter()] == made[::-1]
    assert [p.id for p in sdk.payments.iterate(order_reference="order-3")] == [made[3]]


def test_errors_are_typed(sdk: Client, api_url: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        sdk.payments.create(amount=0, currency="USD", order_reference="o", return_url="https://s/")
    assert caught.value.code == "amount_invalid"
    assert caught.value.param == "amount"
    with pytest.raises(NotFoundError) as missing:
        sdk.payments.retrieve("pay_01J0000000000000000000000")
    assert missing.value.code == "payment_not_found"
    with pytest.raises(AuthenticationError) as refused:
        Client("sk_test_" + "x" * 43, api_url).payments.list()
    assert refused.value.code == "api_key_invalid"
    with pytest.raises(NotFoundError):
        sdk.refunds.retrieve("re_01J0000000000000000000000")


def test_another_platforms_payment_is_not_found(sdk: Client, api_url: str) -> None:
    theirs = create(sdk)
    new_platform("shop-b")
    other = Client(new_key("shop-b"), api_url)
    with pytest.raises(NotFoundError):
        other.payments.retrieve(theirs.id)
    assert list(other.payments.iterate()) == []


def test_webhook_endpoints_and_events(sdk: Client) -> None:
    made = sdk.webhook_endpoints.create(
        url="https://shop.example/webhooks/zhifu/", enabled_events=["payment.succeeded"]
    )
    assert made.secret is not None
    assert made.secret.startswith("whsec_")
    listed = list(sdk.webhook_endpoints.list().auto_paging_iter())
    assert [e.id for e in listed] == [made.id]
    assert listed[0].secret is None  # shown once
    updated = sdk.webhook_endpoints.update(made.id, description="shop")
    assert updated.raw["description"] == "shop"
    rotated = sdk.webhook_endpoints.rotate_secret(made.id, overlap_hours=1)
    assert rotated.secret not in (None, made.secret)
    assert sdk.webhook_endpoints.delete(made.id).deleted
    with pytest.raises(NotFoundError):
        sdk.webhook_endpoints.retrieve(made.id)
    assert isinstance(list(sdk.events.iterate(limit=10)), list)
