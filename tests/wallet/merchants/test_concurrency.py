"""100 concurrent POSTs with one idempotency key make exactly one payment, and, once it is
paid, exactly one ledger entry of each kind; 100 concurrent captures with one key capture
once (issue 11, "Done when"). Real threads, each with its own database connection, on
PostgreSQL, where the row locks are real."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connections

from tests.wallet.accounts.support import registered_buyer
from tests.wallet.merchants.support import Api, new_key, new_platform, pay, payment_body
from zhifu.connectors.base import CaptureRequest
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.ledger.models import Entry
from zhifu.payments.models import Payment as PaymentRow

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, databases=["default", "vault"]),
]
N = 100
THREADS = 20


def storm(call: Callable[[], Any]) -> list[Any]:
    """``call`` N times from THREADS threads released together; every answer."""
    gate = threading.Barrier(THREADS)
    started = threading.local()

    def one(_: int) -> Any:
        if not getattr(started, "yes", False):
            started.yes = True
            gate.wait(timeout=30)
        try:
            return call()
        finally:
            for conn in connections.all(initialized_only=True):
                conn.close()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(one, range(N)))


def test_100_concurrent_creates_with_one_key_make_one_payment(network: FakeCardNetwork) -> None:
    new_platform("shop-a")
    key = new_key("shop-a")
    answers = storm(
        lambda: Api(key).post("/payments", payment_body(), idempotency_key="order-42-attempt")
    )
    statuses = sorted({a.status_code for a in answers})
    assert set(statuses) <= {201, 409}, statuses
    created = [a.json() for a in answers if a.status_code == 201]
    assert created  # the first, and every replay after it
    assert all(c == created[0] for c in created)
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["error"]["code"] == "idempotency_key_in_use"
    assert PaymentRow.objects.count() == 1
    # Once the first has answered, every retry is its replay.
    again = Api(key).post("/payments", payment_body(), idempotency_key="order-42-attempt")
    assert again.json() == created[0]

    buyer = registered_buyer("storm@example.com")
    pay(created[0]["id"], buyer, network)
    refs = list(
        Entry.objects.filter(reference__startswith=created[0]["id"]).values_list(
            "reference", flat=True
        )
    )
    assert refs  # the hold and the capture, each once
    assert len(refs) == len(set(refs))
    assert sorted(r.split(":")[-1] for r in refs) == ["capture", "hold"]


def test_100_concurrent_captures_with_one_key_capture_once(network: FakeCardNetwork) -> None:
    new_platform("shop-a")
    key = new_key("shop-a")
    payment = Api(key).post("/payments", payment_body(capture_method="manual")).json()
    pay(payment["id"], registered_buyer("storm2@example.com"), network)
    path = f"/payments/{payment['id']}/capture"
    answers = storm(lambda: Api(key).post(path, {"amount": 900}, idempotency_key="cap-once"))
    assert {a.status_code for a in answers} <= {200, 409}
    captured = [a.json() for a in answers if a.status_code == 200]
    assert captured
    assert all(c == captured[0] for c in captured)
    assert captured[0]["amount_received"] == 900
    assert sum(isinstance(r, CaptureRequest) for r in network.requests) == 1
    refs = Entry.objects.filter(reference__startswith=payment["id"]).values_list(
        "reference", flat=True
    )
    assert sum(r.endswith(":capture") for r in refs) == 1
