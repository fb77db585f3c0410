"""The SDK against a scripted transport: requests sent, answers parsed, retries, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests

from tests.unit.client.fake import Answer, error_json, payment_json, script, session_with
from zhifu.client import (
    APIError,
    AuthenticationError,
    Client,
    ConflictError,
    IdempotencyError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    Payment,
    RateLimitError,
    ZhifuError,
)

KEY = "sk_test_" + "a" * 43  # pragma: allowlist secret


def make(handler, *, max_retries: int = 2):  # type: ignore[no-untyped-def]
    session, adapter = session_with(handler)
    sleeps: list[float] = []
    client = Client(
        KEY,
        "https://wallet.example/api/v1/",
        max_retries=max_retries,
        session=session,
        sleep=sleeps.append,
        rng=lambda: 1.0,
    )
    return client, adapter, sleeps


def test_create_sends_the_body_key_and_a_fresh_idempotency_key() -> None:
    client, adapter, _ = make(script(Answer(201, payment_json())))
    payment = client.payments.create(
        amount=4900,
        currency="CNY",
        order_reference="order-42",
        return_url="https://shop.example/orders/42",
        buyer_reference="sub-1",
        metadata={"cart": "7"},
    )
    assert isinstance(payment, Payment)
    assert payment.id == "pay_1"
    assert payment.amount == 4900
    assert payment.created_at == datetime(2026, 6, 15, 12, tzinfo=UTC)
    sent = adapter.requests[0]
    assert sent.method == "POST"
    assert sent.url == "https://wallet.example/api/v1/payments"
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.body or b"") == {
        "amount": 4900,
        "currency": "CNY",
        "order_reference": "order-42",
        "return_url": "https://shop.example/orders/42",
        "buyer_reference": "sub-1",
        "metadata": {"cart": "7"},
    }
    client.payments.create(amount=1, currency="CNY", order_reference="x", return_url="https://s/")
    first, second = (r.headers["Idempotency-Key"] for r in adapter.requests)
    assert first
    assert second
    assert first != second


def test_a_given_idempotency_key_is_sent_as_is() -> None:
    client, adapter, _ = make(script(Answer(200, payment_json(status="canceled"))))
    client.payments.cancel("pay_1", idempotency_key="cancel-42")
    assert adapter.requests[0].headers["Idempotency-Key"] == "cancel-42"
    assert adapter.requests[0].body is None


def test_gets_carry_no_idempotency_key_and_no_none_filters() -> None:
    client, adapter, _ = make(script(Answer(200, {"data": [], "has_more": False})))
    client.payments.list(status="succeeded", limit=5)
    sent = adapter.requests[0]
    assert "Idempotency-Key" not in sent.headers
    assert sent.url == "https://wallet.example/api/v1/payments?limit=5&status=succeeded"


@pytest.mark.parametrize(
    "failure",
    [
        Answer(raise_=requests.ConnectionError("reset")),
        Answer(raise_=requests.Timeout("slow")),
        Answer(409, error_json("idempotency_key_in_use", "idempotency_error")),
        Answer(500, error_json("api_error", "api_error")),
        Answer(503, error_json("payment_network_unavailable")),
        Answer(502, b"<html>bad gateway</html>"),
    ],
)
def test_retries_reuse_the_one_idempotency_key(failure: Answer) -> None:
    client, adapter, sleeps = make(script(failure, failure, Answer(201, payment_json())))
    payment = client.payments.create(
        amount=4900, currency="CNY", order_reference="o", return_url="https://s/"
    )
    assert payment.id == "pay_1"
    keys = {r.headers["Idempotency-Key"] for r in adapter.requests}
    assert len(adapter.requests) == 3
    assert len(keys) == 1
    assert sleeps == [0.5, 1.0]  # exponential (jitter pinned to its maximum here)


def test_the_backoff_is_bounded_and_jittered() -> None:
    failure = Answer(500, error_json("api_error", "api_error"))
    session, adapter = session_with(script(failure))
    sleeps: list[float] = []
    client = Client(KEY, "https://w/api/v1", max_retries=8, session=session, sleep=sleeps.append)
    with pytest.raises(APIError):
        client.payments.retrieve("pay_1")
    assert len(adapter.requests) == 9
    assert all(0 <= s <= 8.0 for s in sleeps)


def test_retries_run_out_into_the_error() -> None:
    client, adapter, _ = make(script(Answer(raise_=requests.ConnectionError("down"))))
    with pytest.raises(NetworkError) as caught:
        client.payments.retrieve("pay_1")
    assert len(adapter.requests) == 3
    assert KEY not in str(caught.value)


def test_no_retries_when_asked_for_none() -> None:
    client, adapter, _ = make(
        script(Answer(500, error_json("api_error", "api_error"))), max_retries=0
    )
    with pytest.raises(APIError) as caught:
        client.payments.retrieve("pay_1")
    assert len(adapter.requests) == 1
    assert caught.value.http_status == 500


@pytest.mark.parametrize(
    ("answer", "cls", "code"),
    [
        (
            Answer(401, error_json("api_key_invalid", "authentication_error")),
            AuthenticationError,
            "api_key_invalid",
        ),
        (
            Answer(400, error_json("amount_invalid", param="amount")),
            InvalidRequestError,
            "amount_invalid",
        ),
        (Answer(404, error_json("payment_not_found")), NotFoundError, "payment_not_found"),
        (
            Answer(409, error_json("payment_unexpected_state")),
            ConflictError,
            "payment_unexpected_state",
        ),
        (
            Answer(422, error_json("idempotency_key_reused", "idempotency_error")),
            IdempotencyError,
            "idempotency_key_reused",
        ),
        (Answer(413, error_json("request_too_large")), InvalidRequestError, "request_too_large"),
    ],
)
def test_errors_are_typed_and_not_retried(answer: Answer, cls: type[ZhifuError], code: str) -> None:
    answer.headers["Request-Id"] = "req_123"
    client, adapter, _ = make(script(answer))
    with pytest.raises(cls) as caught:
        client.payments.capture("pay_1", amount=5)
    err = caught.value
    assert len(adapter.requests) == 1
    assert err.code == code
    assert err.http_status == answer.status
    assert err.request_id == "req_123"
    assert isinstance(err, ZhifuError)
    if code == "amount_invalid":
        assert err.param == "amount"


def test_idempotency_in_use_after_every_retry_is_an_idempotency_error() -> None:
    client, adapter, _ = make(
        script(Answer(409, error_json("idempotency_key_in_use", "idempotency_error")))
    )
    with pytest.raises(IdempotencyError) as caught:
        client.refunds.create(payment="pay_1")
    assert isinstance(caught.value, ConflictError)
    assert len(adapter.requests) == 3


def test_rate_limit_waits_retry_after_then_says_so() -> None:
    limited = Answer(429, error_json("rate_limited", "rate_limit_error"), {"Retry-After": "3"})
    client, _adapter, sleeps = make(script(limited))
    with pytest.raises(RateLimitError) as caught:
        client.payments.retrieve("pay_1")
    assert sleeps == [3.0, 3.0]
    assert caught.value.retry_after == 3.0


def test_ids_cannot_walk_to_another_endpoint() -> None:
    client, adapter, _ = make(script(Answer(200, payment_json())))
    for bad in ("", "../refunds", "pay_1/capture", "pay_1?x=1", "pay 1"):
        with pytest.raises(ValueError, match="not an object id"):
            client.payments.retrieve(bad)
    assert adapter.requests == []


def test_redirects_are_not_followed() -> None:
    client, adapter, _ = make(script(Answer(302, None, {"Location": "https://evil.example/"})))
    with pytest.raises(APIError):
        client.payments.retrieve("pay_1")
    assert len(adapter.requests) == 1


def test_the_key_stays_out_of_reprs() -> None:
    client, _, _ = make(script(Answer(200, payment_json())))
    assert KEY not in repr(client)
    assert KEY not in repr(client._requestor)
    with pytest.raises(ValueError, match="API key"):
        Client("")


def test_auto_paging_walks_every_page_with_the_last_id_as_cursor() -> None:
    pages = {
        None: {"data": [payment_json(id="pay_3"), payment_json(id="pay_2")], "has_more": True},
        "pay_2": {"data": [payment_json(id="pay_1")], "has_more": False},
    }

    def handler(request: requests.PreparedRequest) -> Answer:
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(request.url or "").query)
        assert query["status"] == ["succeeded"]
        assert query["limit"] == ["2"]
        return Answer(200, pages[query.get("starting_after", [None])[0]])

    client, adapter, _ = make(handler)
    ids = [p.id for p in client.payments.list(status="succeeded", limit=2).auto_paging_iter()]
    assert ids == ["pay_3", "pay_2", "pay_1"]
    assert len(adapter.requests) == 2
    assert [p.id for p in client.payments.iterate(status="succeeded", limit=2)] == ids


def test_naive_datetimes_are_refused_before_sending() -> None:
    client, adapter, _ = make(script(Answer(200, {"data": [], "has_more": False})))
    with pytest.raises(ValueError, match="aware"):
        client.payments.list(created_gte=datetime(2026, 1, 1))
    client.payments.list(created_gte=datetime(2026, 1, 1, tzinfo=UTC))
    assert "created_gte=2026-01-01T00%3A00%3A00%2B00%3A00" in (adapter.requests[0].url or "")


def test_refund_and_payment_method_parse() -> None:
    refund = {
        "id": "re_1", "object": "refund", "payment": "pay_1", "amount": 500, "currency": "CNY",
        "status": "succeeded", "reason": "requested_by_customer", "metadata": {},
        "created_at": "2026-06-15T12:30:00Z", "failure": None, "new_field": 1,
    }  # fmt: skip
    client, _, _ = make(script(Answer(201, refund)))
    made = client.refunds.create(payment="pay_1", amount=500, reason="requested_by_customer")
    assert made.amount == 500
    assert made.raw["new_field"] == 1
    paid = payment_json(
        payment_method={
            "type": "card",
            "card": {"brand": "Visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
        }
    )
    client, _, _ = make(script(Answer(200, paid)))
    method = client.payments.retrieve("pay_1").payment_method
    assert method is not None
    assert method.card is not None
    assert method.card.last4 == "4242"
