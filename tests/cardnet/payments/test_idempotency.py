"""Every POST honours its Idempotency-Key: the same key replays the first answer and acts
once; the same key with another request is refused; racing requests act once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from tests.cardnet.payments.support import (
    authorize,
    authorized,
    capture,
    new_key,
    post,
    refund,
    void,
)
from zhifu.cardnet.models import Authorization, Operation

pytestmark = pytest.mark.django_db


def race(threads: int, call: Callable[[Client], Any]) -> list[Any]:
    """``call`` from ``threads`` threads released at once, each with its own client and
    database connection; their answers."""
    start = threading.Barrier(threads)
    answers: list[Any] = []

    def worker() -> None:
        client = Client()
        try:
            start.wait()
            answers.append(call(client))
        finally:
            connection.close()

    running = [threading.Thread(target=worker) for _ in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join()
    assert len(answers) == threads
    return answers


def test_a_repeated_authorize_replays_the_first_answer(client: Client) -> None:
    key = new_key("authorize")
    first = authorize(client, key=key)
    again = authorize(client, key=key)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Authorization.objects.count() == 1


def test_a_repeated_decline_replays_too(client: Client) -> None:
    key = new_key("authorize")
    first = authorize(client, key=key, number="4000000000000002").json()
    assert authorize(client, key=key, number="4000000000000002").json() == first
    assert Authorization.objects.count() == 1


def test_a_repeated_capture_and_refund_act_once(client: Client) -> None:
    auth = authorized(client, 1000)
    cap_key, ref_key = new_key("capture"), new_key("refund")
    first = capture(client, auth, 1000, key=cap_key).json()
    assert capture(client, auth, 1000, key=cap_key).json() == first  # not "not capturable"
    refunded = refund(client, auth, 600, key=ref_key).json()
    assert refund(client, auth, 600, key=ref_key).json() == refunded
    assert refund(client, auth, 600, key=ref_key).json() == refunded
    row = Authorization.objects.get(id=auth)
    assert (row.captured, row.refunded) == (1000, 600)


def test_a_repeated_void_acts_once(client: Client) -> None:
    auth, key = authorized(client), new_key("void")
    first = void(client, auth, key=key).json()
    assert void(client, auth, key=key).json() == first == {
        "id": auth, "authorization": auth, "status": "voided"}  # fmt: skip


@pytest.mark.parametrize(
    "second",
    [
        lambda c, key, auth: authorize(c, 1251, key=key),  # another amount
        lambda c, key, auth: authorize(c, 1250, "USD", key=key),  # another currency
        lambda c, key, auth: authorize(c, 1250, key=key, number="5555555555554444"),
        lambda c, key, auth: capture(c, auth, 1250, key=key),  # another flow
    ],
    ids=["amount", "currency", "card", "flow"],
)
def test_the_same_key_for_another_request_is_refused(client: Client, second: Any) -> None:
    key = new_key("authorize")
    auth = authorize(client, 1250, key=key).json()["id"]
    resp = second(client, key, auth)
    assert resp.status_code == 422
    assert resp.json()["error"] == {"code": "idempotency_key_reused", "param": "Idempotency-Key",
        "message": "this Idempotency-Key was used for a different request"}  # fmt: skip
    assert Authorization.objects.count() == 1
    assert Authorization.objects.get().captured == 0


def test_a_capture_key_cannot_be_replayed_on_another_authorization(client: Client) -> None:
    mine, other = authorized(client, 1000), authorized(client, 1000)
    key = new_key("capture")
    capture(client, mine, 1000, key=key)
    resp = capture(client, other, 1000, key=key)
    assert resp.status_code == 422
    assert Authorization.objects.get(id=other).captured == 0


def test_a_refused_request_keeps_nothing_under_its_key(client: Client) -> None:
    key = new_key("authorize")
    assert authorize(client, 0, key=key).status_code == 400
    assert not Operation.objects.filter(key=key).exists()
    assert authorize(client, 10, key=key).json()["status"] == "authorized"


def test_the_same_json_in_another_spelling_is_the_same_request(client: Client) -> None:
    key = new_key("authorize")
    body = ('{"number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123",'
            '"amount":5,"currency":"EUR"}')  # fmt: skip
    reordered = ('{"currency": "EUR", "amount": 5, "cvc": "123", "exp_year": 2030,'
                 ' "exp_month": 12, "number": "4242424242424242"}')  # fmt: skip
    first = post(client, "/api/v1/authorizations", body, key).json()
    assert post(client, "/api/v1/authorizations", reordered, key).json() == first


def test_the_fingerprint_is_keyed_and_names_no_card(client: Client) -> None:
    import hashlib
    import json

    key = new_key("authorize")
    authorize(client, 5, key=key)
    stored = Operation.objects.get(key=key).fingerprint
    body = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123",
            "holder_name": "ANNA IVANOVA", "amount": 5, "currency": "EUR"}  # fmt: skip
    plain = json.dumps(["POST", "/api/v1/authorizations", body], sort_keys=True,
                       separators=(",", ":"))  # fmt: skip
    assert stored != hashlib.sha256(plain.encode()).hexdigest()  # not guessable without the key
    assert len(stored) == 64


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_one_key_act_once() -> None:
    """Eight threads send one capture and one refund each under shared keys at once: one
    capture and one refund happen, and every thread gets the same answer."""
    auth = authorized(Client(), 1000)
    cap_key, ref_key = new_key("capture"), new_key("refund")
    answers = race(8, lambda client: (capture(client, auth, 1000, key=cap_key).json(),
                                      refund(client, auth, 300, key=ref_key).json()))  # fmt: skip
    assert all(a == answers[0] for a in answers)
    assert answers[0][0]["status"] == "captured"
    assert answers[0][1]["status"] == "refunded"
    row = Authorization.objects.get(id=auth)
    assert (row.captured, row.refunded) == (1000, 300)
    assert Operation.objects.filter(authorization_id=auth).count() == 3


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_racing_refunds_with_different_keys_never_exceed_the_capture() -> None:
    auth = authorized(Client(), 1000)
    capture(Client(), auth, 1000)
    statuses = race(6, lambda client: refund(client, auth, 400).json()["status"])
    assert sorted(statuses) == ["declined"] * 4 + ["refunded"] * 2
    assert Authorization.objects.get(id=auth).refunded == 800
