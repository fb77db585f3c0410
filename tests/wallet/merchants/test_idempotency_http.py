"""Idempotency keys through the endpoints (issue 11, merchant API item 3): every POST takes
an ``Idempotency-Key``; a retry gets the first answer (status and body, success or
refusal) with ``Idempotent-Replayed: true`` and no second payment, capture or refund."""

from __future__ import annotations

import json

import pytest

from tests.wallet.merchants.support import Api, create_payment, error_of, new_key, pay
from tests.wallet.merchants.support import payment_body as body
from zhifu.accounts.models import Platform, User
from zhifu.connectors.base import CaptureRequest
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.payments.models import Payment as PaymentRow
from zhifu.payments.models import Refund as RefundRow

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


def test_a_retried_create_replays_the_first_answer(api: Api) -> None:
    first = api.post("/payments", body(), idempotency_key="order-42")
    again = api.post("/payments", body(), idempotency_key="order-42")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert PaymentRow.objects.count() == 1
    # The same body with its keys in another order and other white space is the same request.
    reordered = dict(reversed(list(body().items())))
    raw = json.dumps(reordered, indent=3)
    assert api.post("/payments", raw=raw, idempotency_key="order-42").json() == first.json()


def test_the_same_key_with_another_body_or_endpoint_is_refused(api: Api) -> None:
    first = api.post("/payments", body(), idempotency_key="k-1")
    other = api.post("/payments", body(amount=1600), idempotency_key="k-1")
    assert other.status_code == 422
    error = error_of(other)
    assert (error["type"], error["code"], error["param"]) == (
        "idempotency_error",
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    elsewhere = api.post(f"/payments/{first.json()['id']}/cancel", {}, idempotency_key="k-1")
    assert elsewhere.status_code == 422
    assert PaymentRow.objects.count() == 1
    assert api.get(f"/payments/{first.json()['id']}").json()["status"] != "canceled"


def test_a_refused_request_is_replayed_too(api: Api) -> None:
    first = api.post("/payments", body(currency="XXX"), idempotency_key="bad")
    assert first.status_code == 400
    assert error_of(first)["code"] == "currency_unsupported"
    again = api.post("/payments", body(currency="XXX"), idempotency_key="bad")
    assert again.status_code == 400
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert PaymentRow.objects.count() == 0


def test_a_request_the_api_could_not_read_stores_nothing(api: Api) -> None:
    """Malformed JSON or an invalid body never reached the operation (Stripe's rule): the
    key stays free for the corrected request."""
    assert api.post("/payments", raw="{", idempotency_key="fix-me").status_code == 400
    assert api.post("/payments", body(amount="x"), idempotency_key="fix-me").status_code == 400
    fixed = api.post("/payments", body(), idempotency_key="fix-me")
    assert fixed.status_code == 201
    assert "Idempotent-Replayed" not in fixed.headers


def test_keys_of_two_platforms_never_collide(api: Api, other_shop: Platform) -> None:
    theirs = Api(new_key("shop-b"))
    mine = api.post("/payments", body(), idempotency_key="shared")
    other = theirs.post("/payments", body(), idempotency_key="shared")
    assert other.status_code == 201
    assert other.json()["id"] != mine.json()["id"]
    assert "Idempotent-Replayed" not in other.headers
    assert PaymentRow.objects.count() == 2


@pytest.mark.parametrize("key", ["x" * 256, "", "ключ", "tab\tkey"])
def test_malformed_idempotency_keys_are_refused(api: Api, key: str) -> None:
    headers = {"Idempotency-Key": key}
    try:
        response = api.post("/payments", body(), headers=headers)
    except UnicodeEncodeError:  # a header the client cannot even send
        pytest.skip("not sendable as a header")
    assert response.status_code == 400
    error = error_of(response)
    assert (error["type"], error["code"], error["param"]) == (
        "idempotency_error",
        "idempotency_key_invalid",
        "Idempotency-Key",
    )
    assert PaymentRow.objects.count() == 0


def test_a_255_character_key_works(api: Api) -> None:
    key = "k" * 255
    assert api.post("/payments", body(), idempotency_key=key).status_code == 201
    assert api.post("/payments", body(), idempotency_key=key)["Idempotent-Replayed"] == "true"


def test_a_retried_capture_captures_once(api: Api, buyer: User, network: FakeCardNetwork) -> None:
    payment = create_payment(api, capture_method="manual")
    pay(payment["id"], buyer, network)
    path = f"/payments/{payment['id']}/capture"
    first = api.post(path, {"amount": 700}, idempotency_key="cap-1")
    again = api.post(path, {"amount": 700}, idempotency_key="cap-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert sum(isinstance(r, CaptureRequest) for r in network.requests) == 1
    assert api.get(f"/payments/{payment['id']}").json()["amount_received"] == 700


def test_a_retried_refund_refunds_once(api: Api, buyer: User, network: FakeCardNetwork) -> None:
    payment = create_payment(api)
    pay(payment["id"], buyer, network)
    request = {"payment": payment["id"], "amount": 300}
    first = api.post("/refunds", request, idempotency_key="ref-1")
    again = api.post("/refunds", request, idempotency_key="ref-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert RefundRow.objects.count() == 1
    # Without a key (or with another) it is a new refund.
    assert api.post("/refunds", request, idempotency_key="ref-2").status_code == 201
    assert RefundRow.objects.count() == 2


def test_a_retried_cancel_replays_instead_of_409(api: Api) -> None:
    payment = create_payment(api)
    path = f"/payments/{payment['id']}/cancel"
    first = api.post(path, idempotency_key="cancel-1")
    again = api.post(path, idempotency_key="cancel-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert api.post(path).status_code == 409  # a new request: the payment is canceled


def test_the_stored_answer_is_the_first_even_after_the_payment_moved(
    api: Api, buyer: User, network: FakeCardNetwork
) -> None:
    first = api.post("/payments", body(), idempotency_key="snap").json()
    pay(first["id"], buyer, network)
    replay = api.post("/payments", body(), idempotency_key="snap").json()
    assert replay == first  # Stripe's rule: the first response, not today's state
    assert replay["status"] == "requires_payment_method"
