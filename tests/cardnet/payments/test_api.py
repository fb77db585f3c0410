"""cardnet's payment API, flow by flow, and what an authorization allows."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.cardnet.payments.support import (
    TIMEOUT_CARD,
    authorize,
    authorized,
    capture,
    get,
    new_key,
    post,
    refund,
    status,
    void,
)
from zhifu.cardnet import api
from zhifu.cardnet.domain import TEST_CARDS, Behaviour
from zhifu.cardnet.models import Authorization, Operation

pytestmark = pytest.mark.django_db

APPROVING = [c for c in TEST_CARDS if c.behaviour is Behaviour.APPROVE]
SPECIAL = (Behaviour.APPROVE, Behaviour.TIMEOUT, Behaviour.CHALLENGE)
DECLINING = [c for c in TEST_CARDS if c.behaviour not in SPECIAL]


def cvc_for(card: Any) -> str:
    return "1234" if card.scheme == "American Express" else "123"


@pytest.mark.parametrize("card", APPROVING, ids=lambda c: c.scheme)
def test_every_approving_card_authorizes(client: Client, card: Any) -> None:
    resp = authorize(client, 1250, "EUR", number=card.number, cvc=cvc_for(card))
    assert resp.status_code == 200
    data = resp.json()
    assert data == {"id": data["id"], "status": "authorized", "decline_code": None,
                    "amount": 1250, "currency": "EUR", "challenge_url": None}  # fmt: skip
    assert data["id"].startswith("auth_")


@pytest.mark.parametrize("card", DECLINING, ids=lambda c: c.behaviour.value)
def test_each_declining_card_declines_with_its_code(client: Client, card: Any) -> None:
    key = new_key("authorize")
    data = authorize(client, 500, "USD", key=key, number=card.number).json()
    assert (data["status"], data["decline_code"]) == ("declined", card.behaviour.value)
    assert status(client, key).json() == {"flow": "authorize", "id": data["id"],
        "status": "declined", "decline_code": card.behaviour.value, "amount": 500,
        "currency": "USD"}  # fmt: skip
    assert capture(client, data["id"], 500, "USD").json()["decline_code"] == (
        "authorization_not_capturable"
    )


def test_a_stored_card_authorizes_without_a_cvc(client: Client) -> None:
    body = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "amount": 100,
            "currency": "EUR"}  # fmt: skip
    assert post(client, "/api/v1/authorizations", body, new_key()).json()["status"] == "authorized"


def test_a_malformed_cvc_still_declines(client: Client) -> None:
    assert authorize(client, cvc="12").json()["decline_code"] == "incorrect_cvc"


def test_authorize_capture_refund(client: Client) -> None:
    auth = authorized(client, 1250)
    cap = capture(client, auth, 1250).json()
    assert cap == {"id": cap["id"], "authorization": auth, "status": "captured", "amount": 1250,
                   "currency": "EUR"}  # fmt: skip
    assert cap["id"].startswith("cap_")
    first = refund(client, auth, 500).json()
    assert first == {"id": first["id"], "authorization": auth, "status": "refunded",
                     "amount": 500, "currency": "EUR"}  # fmt: skip
    assert first["id"].startswith("ref_")
    assert refund(client, auth, 750).json()["status"] == "refunded"  # several, up to captured
    row = Authorization.objects.get(id=auth)
    assert (row.status, row.captured, row.refunded) == ("captured", 1250, 1250)


def test_a_partial_capture_closes_the_authorization(client: Client) -> None:
    auth = authorized(client, 1250)
    assert capture(client, auth, 1000).json()["status"] == "captured"
    again = capture(client, auth, 250).json()  # the rest was released
    assert (again["status"], again["decline_code"]) == ("declined", "authorization_not_capturable")
    over = refund(client, auth, 1001).json()
    assert (over["status"], over["decline_code"]) == ("declined", "refund_exceeds_capture")


def test_a_capture_never_exceeds_the_authorization(client: Client) -> None:
    auth = authorized(client, 1250)
    over = capture(client, auth, 1251).json()
    assert (over["status"], over["decline_code"]) == ("declined", "capture_exceeds_authorization")
    assert capture(client, auth, 1250).json()["status"] == "captured"  # still capturable


def test_refunds_never_exceed_what_was_captured(client: Client) -> None:
    auth = authorized(client, 1000)
    before = refund(client, auth, 1).json()
    assert before["decline_code"] == "refund_exceeds_capture"  # nothing captured yet
    capture(client, auth, 600)
    assert refund(client, auth, 400).json()["status"] == "refunded"
    assert refund(client, auth, 201).json()["decline_code"] == "refund_exceeds_capture"
    assert refund(client, auth, 200).json()["status"] == "refunded"
    assert refund(client, auth, 1).json()["status"] == "declined"
    assert Authorization.objects.get(id=auth).refunded == 600


def test_void_only_before_the_capture(client: Client) -> None:
    auth = authorized(client)
    voided = void(client, auth).json()
    assert voided == {"id": auth, "authorization": auth, "status": "voided"}
    assert capture(client, auth, 1).json()["decline_code"] == "authorization_not_capturable"
    assert void(client, auth).json()["decline_code"] == "authorization_not_voidable"
    captured = authorized(client)
    capture(client, captured, 1250)
    late = void(client, captured).json()
    assert (late["status"], late["decline_code"]) == ("declined", "authorization_not_voidable")
    assert Authorization.objects.get(id=captured).status == "captured"


def test_status_tells_each_operations_outcome(client: Client) -> None:
    keys = {f: new_key(f) for f in ("authorize", "capture", "refund", "void")}
    auth = authorize(client, 900, key=keys["authorize"]).json()["id"]
    capture(client, auth, 900, key=keys["capture"])
    ref = refund(client, auth, 100, key=keys["refund"]).json()["id"]
    void(client, auth, key=keys["void"])
    assert status(client, keys["authorize"]).json() == {"flow": "authorize", "id": auth,
        "status": "authorized", "amount": 900, "currency": "EUR"}  # fmt: skip
    assert status(client, keys["capture"]).json()["status"] == "captured"
    assert status(client, keys["refund"]).json() == {"flow": "refund", "id": ref,
        "status": "refunded", "amount": 100, "currency": "EUR"}  # fmt: skip
    assert status(client, keys["void"]).json() == {"flow": "void", "id": auth,
        "status": "declined", "decline_code": "authorization_not_voidable"}  # fmt: skip


def test_an_unknown_operation_is_a_404(client: Client) -> None:
    resp = status(client, "pay_none:authorize")
    assert resp.status_code == 404
    assert resp.json() == {"error": {"code": "not_found", "message": "no operation under this key",
                                     "param": None}}  # fmt: skip


def test_a_key_with_a_slash_is_found(client: Client) -> None:
    authorize(client, key="a/b:authorize")
    assert status(client, "a/b:authorize").json()["status"] == "authorized"


def test_the_no_answer_card_is_authorized_then_answers_too_late(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def sleep(seconds: float) -> None:  # what a wallet could ask while cardnet sleeps
        assert seconds == api.TIMEOUT_SLEEP_S
        seen.append(status(client, key).json()["status"])

    monkeypatch.setattr(api.time, "sleep", sleep)
    key = new_key("authorize")
    data = authorize(client, 4200, key=key, number=TIMEOUT_CARD).json()
    assert seen == ["authorized"]
    assert data["status"] == "authorized"
    assert authorize(client, 4200, key=key, number=TIMEOUT_CARD).json() == data  # no sleep
    assert seen == ["authorized"]
    assert api.TIMEOUT_SLEEP_S > 10  # beyond any read timeout the wallet's budget allows


# --- the other authorization's id, and input the API refuses ------------------------------


def test_another_authorizations_id_acts_on_that_one_only(client: Client) -> None:
    mine, other = authorized(client, 1000), authorized(client, 1000)
    capture(client, mine, 1000)
    assert refund(client, other, 500).json()["decline_code"] == "refund_exceeds_capture"
    assert Authorization.objects.get(id=other).refunded == 0


@pytest.mark.parametrize("auth", ["auth_00000000000000000000000000", "../x", "auth_%2F"])
def test_an_unknown_authorization_is_a_404(client: Client, auth: str) -> None:
    for resp in (capture(client, auth, 1), void(client, auth), refund(client, auth, 1)):
        assert resp.status_code == 404
    assert not Operation.objects.exists()


def test_a_capture_in_another_currency_is_refused(client: Client) -> None:
    auth = authorized(client, 1000, "EUR")
    resp = capture(client, auth, 1000, "USD")
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "currency"
    assert capture(client, auth, 1000, "EUR").json()["status"] == "captured"


PATHS = ["/api/v1/authorizations", "/api/v1/authorizations/auth_x/captures",
         "/api/v1/authorizations/auth_x/void", "/api/v1/authorizations/auth_x/refunds"]  # fmt: skip


@pytest.mark.parametrize("path", [*PATHS, "/api/v1/operations/k"])
@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}]
)
def test_without_the_shared_key_nothing_answers(
    client: Client, path: str, headers: dict[str, str]
) -> None:
    sent = {"Idempotency-Key": "k", **headers}
    if "operations" in path:
        resp = client.get(path, headers=sent)
    else:
        resp = client.post(path, "{}", content_type="application/json", headers=sent)
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("path", PATHS)
def test_get_on_a_post_endpoint_is_405(client: Client, path: str) -> None:
    resp = get(client, path)
    assert resp.status_code == 405
    assert resp["Allow"] == "POST"


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("body", "code"),
    [("not json", "invalid_json"), ("[1]", "invalid_json"), (b"\xff\xfe", "invalid_json"),
     ('{"x": "' + "a" * 5000 + '"}', "too_large"), ('{"surprise": 1}', "invalid_request")],
)  # fmt: skip
def test_malformed_bodies_get_a_typed_400(client: Client, path: str, body: Any, code: str) -> None:
    resp = post(client, path, body, new_key())
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == code
    assert not Operation.objects.exists()


@pytest.mark.parametrize(
    ("change", "param"),
    [({"amount": 0}, "amount"), ({"amount": -5}, "amount"), ({"amount": 12.5}, "amount"),
     ({"amount": "1250"}, "amount"), ({"amount": True}, "amount"),
     ({"amount": 10**12 + 1}, "amount"), ({"currency": "ZZZ"}, "currency"),
     ({"currency": "eur"}, "currency"), ({"currency": None}, "currency"),
     ({"number": 4242424242424242}, "number"), ({"exp_month": "12"}, "exp_month"),
     ({"cvc": 123}, "cvc"), ({"holder_name": 7}, "holder_name"),
     ({"return_url": "https://evil.example/"}, "return_url")],
)  # fmt: skip
def test_an_unusable_field_is_named(client: Client, change: dict[str, Any], param: str) -> None:
    resp = authorize(client, **{"amount": 1250, "currency": "EUR", **change})
    assert resp.status_code == 400
    assert resp.json()["error"] == {"code": "invalid_request", "param": param,
                                    "message": resp.json()["error"]["message"]}  # fmt: skip
    assert not Authorization.objects.exists()


@pytest.mark.parametrize("key", [None, "", "k" * 256, "ключ", "a\nb"])
def test_every_post_needs_a_usable_idempotency_key(client: Client, key: str | None) -> None:
    resp = post(client, "/api/v1/authorizations", {"amount": 1, "currency": "EUR"}, key)
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "Idempotency-Key"


def test_a_255_character_key_is_enough(client: Client) -> None:
    assert authorize(client, key="k" * 255).status_code == 200


def test_nothing_of_the_card_is_stored_or_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    key = new_key("authorize")
    auth = authorize(client, key=key, number="5555555555554444", cvc="987").json()["id"]
    row = Authorization.objects.get(id=auth)
    assert (row.scheme, row.last4) == ("Mastercard", "4444")
    stored = [*Authorization.objects.values().get().values(),
              *Operation.objects.filter(key=key).values().get().values()]  # fmt: skip
    logged = "\n".join(f"{r.getMessage()} {r.msg}" for r in caplog.records)
    for text in (" ".join(map(str, stored)), logged):
        assert "5555555555554444" not in text
        # Ids, fingerprints and timestamps are random digits: a "987" in them is no CVC.
        assert "987" not in RANDOM.sub("", text)


RANDOM = re.compile(r"[a-z]+_[0-9A-Z]{26}|[0-9a-f]{64}|\d{4}-\d\d-\d\d[ T][\d:.+]+")


def test_the_home_page_says_what_each_card_does_on_a_payment(client: Client) -> None:
    page = client.get("/").content.decode()
    assert "answered only after 30 seconds" in page
    assert "/api/v1/authorizations" in page
    ru = client.get("/", headers={"Accept-Language": "ru"}).content.decode()
    assert "Платёж" in ru
    assert "ответ приходит только через 30 секунд" in ru
