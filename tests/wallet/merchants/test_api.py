"""The merchant API's endpoints (issue 11, merchant API items 2 and 4): every endpoint
answers the documented objects, and every failure the typed envelope with its status and
precise code; nothing is half-written by a refused request."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from tests.wallet.merchants.support import (
    API,
    RETURN_URL,
    Api,
    create_payment,
    error_of,
    new_key,
    new_platform,
    pay,
    payment_body,
)
from zhifu.accounts.models import Platform, User
from zhifu.config.site import config
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.merchants import services
from zhifu.merchants.api import MAX_BODY_BYTES
from zhifu.payments.models import Payment as PaymentRow

pytestmark = pytest.mark.django_db(databases=["default", "vault"])

PAYMENT_KEYS = {
    "id", "object", "amount", "currency", "amount_capturable", "amount_received",
    "amount_refunded", "status", "capture_method", "order_reference", "description",
    "buyer_reference", "return_url", "cashier_url", "metadata", "created_at", "expires_at",
    "canceled_at", "failure", "payment_method", "livemode",
}  # fmt: skip
REFUND_KEYS = {
    "id", "object", "payment", "amount", "currency", "status", "reason", "metadata",
    "created_at", "failure",
}  # fmt: skip


def payments_written() -> int:
    return PaymentRow.objects.count()


# --- payments -------------------------------------------------------------------------------


def test_create_answers_the_payment_with_its_cashier_url_and_expiry(api: Api) -> None:
    response = api.post("/payments", payment_body(buyer_reference="sub-7"))
    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers  # session-less
    payment = response.json()
    assert set(payment) == PAYMENT_KEYS
    assert payment["id"].startswith("pay_")
    assert payment["object"] == "payment"
    assert payment["status"] == "requires_payment_method"
    assert payment["amount"] == 1500
    assert payment["currency"] == "USD"
    assert payment["capture_method"] == "automatic"
    assert payment["buyer_reference"] == "sub-7"
    assert payment["metadata"] == {"cart": "7"}
    assert payment["cashier_url"] == f"{config().urls['wallet']}/pay/{payment['id']}/"
    assert payment["expires_at"] > payment["created_at"]
    assert payment["created_at"].endswith("Z")
    assert payment["livemode"] is False


def test_a_live_key_makes_live_payments(shop: Platform) -> None:
    from zhifu.merchants.domain import Mode

    live = Api(new_key("shop-a", Mode.LIVE))
    assert create_payment(live)["livemode"] is True


def test_retrieve_and_list_with_filters_and_cursor_pagination(api: Api) -> None:
    made = [create_payment(api, order_reference=f"order-{n}") for n in range(5)]
    newest_first = [p["id"] for p in reversed(made)]
    assert api.get(f"/payments/{made[0]['id']}").json() == made[0]

    first = api.get("/payments", {"limit": 2}).json()
    assert set(first) == {"object", "url", "has_more", "data"}
    assert first["object"] == "list"
    assert first["url"] == f"{API}/payments"
    assert [p["id"] for p in first["data"]] == newest_first[:2]
    assert first["has_more"] is True
    second = api.get("/payments", {"limit": 2, "starting_after": newest_first[1]}).json()
    assert [p["id"] for p in second["data"]] == newest_first[2:4]
    last = api.get("/payments", {"limit": 2, "starting_after": newest_first[3]}).json()
    assert [p["id"] for p in last["data"]] == newest_first[4:]
    assert last["has_more"] is False

    only = api.get("/payments", {"order_reference": "order-3"}).json()["data"]
    assert [p["id"] for p in only] == [made[3]["id"]]
    assert api.get("/payments", {"status": "succeeded"}).json()["data"] == []
    opened = api.get("/payments", {"status": "requires_payment_method"}).json()["data"]
    assert len(opened) == 5
    stamp = made[0]["created_at"]
    assert len(api.get("/payments", {"created_gte": stamp}).json()["data"]) == 5
    assert api.get("/payments", {"created_lt": stamp}).json()["data"] == []


def test_a_paid_automatic_payment_is_succeeded_with_its_card(
    api: Api, buyer: User, network: FakeCardNetwork
) -> None:
    payment = create_payment(api)
    pay(payment["id"], buyer, network)
    paid = api.get(f"/payments/{payment['id']}").json()
    assert paid["status"] == "succeeded"
    assert paid["amount_received"] == 1500
    method = paid["payment_method"]
    assert method["type"] == "card"
    assert set(method["card"]) == {"brand", "last4", "exp_month", "exp_year"}
    assert len(method["card"]["last4"]) == 4


def test_capture_part_of_a_manual_payment_once(
    api: Api, buyer: User, network: FakeCardNetwork
) -> None:
    payment = create_payment(api, capture_method="manual")
    pay(payment["id"], buyer, network)
    held = api.get(f"/payments/{payment['id']}").json()
    assert held["status"] == "requires_capture"
    assert held["amount_capturable"] == 1500

    too_much = api.post(f"/payments/{payment['id']}/capture", {"amount": 1501})
    assert too_much.status_code == 400
    assert error_of(too_much)["code"] == "capture_exceeds_authorized"
    captured = api.post(f"/payments/{payment['id']}/capture", {"amount": 1000})
    assert captured.status_code == 200
    body = captured.json()
    assert body["status"] == "succeeded"
    assert body["amount_received"] == 1000
    assert body["amount_capturable"] == 0
    again = api.post(f"/payments/{payment['id']}/capture", {})
    assert again.status_code == 409
    assert error_of(again)["code"] == "payment_unexpected_state"


def test_capture_without_a_body_takes_everything(
    api: Api, buyer: User, network: FakeCardNetwork
) -> None:
    payment = create_payment(api, capture_method="manual")
    pay(payment["id"], buyer, network)
    captured = api.post(f"/payments/{payment['id']}/capture")
    assert captured.status_code == 200
    assert captured.json()["amount_received"] == 1500


def test_cancel_an_open_payment_then_not_again(api: Api) -> None:
    payment = create_payment(api)
    canceled = api.post(f"/payments/{payment['id']}/cancel")
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["canceled_at"] is not None
    again = api.post(f"/payments/{payment['id']}/cancel", {})
    assert again.status_code == 409
    error = error_of(again)
    assert error == {
        "type": "invalid_request_error",
        "code": "payment_unexpected_state",
        "message": error["message"],
        "param": None,
    }
    assert "canceled" in error["message"]


def test_an_unpaid_payment_cannot_be_captured(api: Api) -> None:
    payment = create_payment(api)
    response = api.post(f"/payments/{payment['id']}/capture")
    assert response.status_code == 409
    assert error_of(response)["code"] == "payment_unexpected_state"


# --- refunds --------------------------------------------------------------------------------


def test_refunds_partial_several_never_more_than_captured(
    api: Api, buyer: User, network: FakeCardNetwork
) -> None:
    payment = create_payment(api)
    pay(payment["id"], buyer, network)
    first = api.post(
        "/refunds",
        {"payment": payment["id"], "amount": 500, "reason": "requested_by_customer"},
    )
    assert first.status_code == 201
    refund = first.json()
    assert set(refund) == REFUND_KEYS
    assert refund["id"].startswith("re_")
    assert refund["object"] == "refund"
    assert refund["payment"] == payment["id"]
    assert (refund["amount"], refund["currency"]) == (500, "USD")
    assert refund["status"] == "succeeded"
    assert refund["reason"] == "requested_by_customer"

    too_much = api.post("/refunds", {"payment": payment["id"], "amount": 1001})
    assert too_much.status_code == 400
    assert error_of(too_much) | {"message": ""} == {
        "type": "invalid_request_error",
        "code": "refund_exceeds_captured",
        "message": "",
        "param": "amount",
    }
    rest = api.post("/refunds", {"payment": payment["id"], "metadata": {"ticket": "9"}})
    assert rest.status_code == 201
    assert rest.json()["amount"] == 1000
    assert api.get(f"/payments/{payment['id']}").json()["amount_refunded"] == 1500
    assert error_of(api.post("/refunds", {"payment": payment["id"]}))["code"] == (
        "refund_exceeds_captured"
    )

    assert api.get(f"/refunds/{refund['id']}").json() == refund
    listed = api.get("/refunds", {"payment": payment["id"]}).json()
    assert [r["id"] for r in listed["data"]] == [rest.json()["id"], refund["id"]]
    page = api.get("/refunds", {"limit": 1}).json()
    assert page["has_more"] is True
    assert len(page["data"]) == 1
    after = api.get("/refunds", {"limit": 1, "starting_after": page["data"][0]["id"]}).json()
    assert [r["id"] for r in after["data"]] == [refund["id"]]
    assert after["has_more"] is False


def test_a_refund_needs_a_captured_payment_and_a_known_reason(api: Api) -> None:
    payment = create_payment(api)
    unpaid = api.post("/refunds", {"payment": payment["id"]})
    assert unpaid.status_code in (400, 409)
    assert error_of(unpaid)["code"] in {"refund_exceeds_captured", "payment_unexpected_state"}
    odd = api.post("/refunds", {"payment": payment["id"], "reason": "bored"})
    assert odd.status_code == 400
    assert error_of(odd)["code"] == "refund_reason_invalid"
    assert error_of(odd)["param"] == "reason"
    missing = api.post("/refunds", {"payment": "pay_00000000000000000000000000"})
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "payment_not_found"


# --- errors ---------------------------------------------------------------------------------

ENDPOINTS = [
    ("post", "/payments"),
    ("get", "/payments"),
    ("get", "/payments/pay_x"),
    ("post", "/payments/pay_x/capture"),
    ("post", "/payments/pay_x/cancel"),
    ("post", "/refunds"),
    ("get", "/refunds"),
    ("get", "/refunds/re_x"),
]


def _call(client: Api, method: str, path: str, **kw: Any) -> Any:
    return client.post(path, raw="{not json", **kw) if method == "post" else client.get(path)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_valid_key_before_it_reads_the_body(
    shop: Platform, method: str, path: str
) -> None:
    revoked = services.create_key("shop-a")
    services.revoke_key("shop-a", revoked.info.id)
    cases = [
        (Api(None), "authentication_required"),
        (Api(None, headers={"Authorization": "Basic Zm9vOmJhcg=="}), "authentication_required"),
        (Api("sk_test_" + "x" * 43), "api_key_invalid"),
        (Api(revoked.secret.reveal()), "api_key_invalid"),
    ]
    for client, code in cases:
        response = _call(client, method, path)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        error = error_of(response)
        assert (error["type"], error["code"]) == ("authentication_error", code)
    assert payments_written() == 0


def test_a_disabled_platforms_key_is_refused(db: Any) -> None:
    new_platform("paused", active=False)
    response = Api(new_key("paused")).get("/payments")
    assert response.status_code == 401
    assert error_of(response)["code"] == "platform_disabled"


@pytest.mark.parametrize(
    "raw",
    [
        "{",
        '{"amount": NaN}',
        '{"amount": Infinity}',
        '{"amount": 1, "amount": 2}',
        b"\xff\xfe{}",
        "{'amount': 1}",
        '{"a": ' * 2000 + "1" + "}" * 2000,
    ],
)
def test_malformed_json_is_refused(api: Api, raw: Any) -> None:
    response = api.post("/payments", raw=raw)
    assert response.status_code == 400
    assert error_of(response) | {"message": ""} == {
        "type": "invalid_request_error",
        "code": "invalid_json",
        "message": "",
        "param": None,
    }
    assert payments_written() == 0


@pytest.mark.parametrize("raw", ["[]", '"pay"', "12", "null"])
def test_a_body_that_is_not_an_object_is_refused(api: Api, raw: str) -> None:
    response = api.post("/payments", raw=raw)
    assert response.status_code == 400
    assert error_of(response)["code"] in {"parameter_invalid", "parameter_missing"}


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (payment_body(amout=1500), "parameter_unknown", "amout"),
        (payment_body(amount=1200, colour="red"), "parameter_unknown", "colour"),
        ({k: v for k, v in payment_body().items() if k != "amount"}, "parameter_missing", "amount"),
        ({k: v for k, v in payment_body().items() if k != "return_url"}, "parameter_missing",
         "return_url"),
        (payment_body(amount="1500"), "parameter_invalid", "amount"),
        (payment_body(amount=15.0), "parameter_invalid", "amount"),
        (payment_body(amount=12.5), "parameter_invalid", "amount"),
        (payment_body(amount=True), "parameter_invalid", "amount"),
        (payment_body(amount=None), "parameter_invalid", "amount"),
        (payment_body(currency=840), "parameter_invalid", "currency"),
        (payment_body(capture_method="later"), "parameter_invalid", "capture_method"),
        (payment_body(metadata={"n": 7}), "parameter_invalid", "metadata[n]"),
        (payment_body(metadata=["x"]), "parameter_invalid", "metadata"),
        (payment_body(description="nul\x00byte"), "parameter_invalid", "description"),
        (payment_body(order_reference="\ud800"), "parameter_invalid", "order_reference"),
        (payment_body(amount=0), "amount_invalid", "amount"),
        (payment_body(amount=-100), "amount_invalid", "amount"),
        (payment_body(amount=10**30), "amount_too_large", "amount"),
        (payment_body(currency="XXX"), "currency_unsupported", "currency"),
        (payment_body(currency="usd"), "currency_unsupported", "currency"),
        (payment_body(currency="DOGE"), "currency_unsupported", "currency"),
        (payment_body(order_reference=""), "order_reference_invalid", "order_reference"),
        (payment_body(order_reference="x" * 201), "order_reference_invalid", "order_reference"),
        (payment_body(description="x" * 1001), "description_too_long", "description"),
        (payment_body(return_url="/relative"), "return_url_invalid", "return_url"),
        (payment_body(return_url="javascript:alert(1)"), "return_url_invalid", "return_url"),
        (payment_body(metadata={str(n): "v" for n in range(21)}), "metadata_invalid", "metadata"),
        (payment_body(metadata={"k" * 41: "v"}), "metadata_invalid", "metadata"),
        (payment_body(metadata={"k": "v" * 501}), "metadata_invalid", "metadata"),
    ],
)  # fmt: skip
def test_invalid_payments_are_refused_with_precise_codes(
    api: Api, body: dict[str, Any], code: str, param: str
) -> None:
    response = api.post("/payments", body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert payments_written() == 0  # nothing half-written


def test_http_return_urls_are_for_the_demo_only(api: Api, settings: Any) -> None:
    assert create_payment(api, return_url="http://shop.localhost/done")  # the demo's shop
    settings.ZHIFU = dataclasses.replace(config(), demo=False)
    response = api.post("/payments", payment_body(return_url="http://shop.example/done"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "return_url_invalid"
    assert create_payment(api, return_url=RETURN_URL)


def test_the_reported_error_is_the_unknown_field_first(api: Api) -> None:
    body = payment_body(amount="x", extra=1)
    del body["currency"]
    error = error_of(api.post("/payments", body))
    assert (error["code"], error["param"]) == ("parameter_unknown", "extra")


@pytest.mark.parametrize(
    ("params", "code", "param"),
    [
        ({"limit": "ten"}, "parameter_invalid", "limit"),
        ({"limit": 0}, "limit_invalid", "limit"),
        ({"limit": 101}, "limit_invalid", "limit"),
        ({"status": "paid"}, "parameter_invalid", "status"),
        ({"created_gte": "yesterday"}, "parameter_invalid", "created_gte"),
        ({"created_gte": "2026-01-01T00:00:00"}, "parameter_invalid", "created_gte"),
        ({"created_gte": "1700000000"}, "parameter_invalid", "created_gte"),
        ({"created_gte": "0001-01-01T00:02:49.75+11:05"}, "parameter_invalid", "created_gte"),
        ({"created_lt": "9999-12-31T23:59:59-01:00"}, "parameter_invalid", "created_lt"),
        ({"order_reference": "a\x00b"}, "parameter_invalid", "order_reference"),
        ({"sort": "amount"}, "parameter_unknown", "sort"),
    ],
)
def test_invalid_list_parameters_are_refused(
    api: Api, params: dict[str, Any], code: str, param: str
) -> None:
    response = api.get("/payments", params)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert (error["code"], error["param"]) == (code, param)


def test_a_cursor_of_an_unknown_or_foreign_id_shows_nothing(api: Api, other_shop: Platform) -> None:
    theirs = create_payment(Api(new_key("shop-b")))
    create_payment(api)
    for cursor in ("pay_00000000000000000000000000", theirs["id"], "junk"):
        response = api.get("/payments", {"starting_after": cursor})
        if response.status_code == 200:
            assert response.json()["data"] == []
        else:
            assert error_of(response)["code"] in {"cursor_invalid", "payment_not_found"}


def test_an_oversized_body_is_refused_before_it_is_parsed(api: Api) -> None:
    body = payment_body(description="x" * MAX_BODY_BYTES)
    response = api.post("/payments", body)
    assert response.status_code == 413
    error = error_of(response)
    assert (error["type"], error["code"]) == ("invalid_request_error", "request_too_large")
    assert payments_written() == 0


def test_unknown_ids_paths_and_methods(api: Api) -> None:
    nobody = "/payments/pay_01ABCDEFGHJKMNPQRSTVWXYZ012"  # pragma: allowlist secret
    for path in (nobody, "/payments/%00", "/payments/x"):
        response = api.get(path)
        assert response.status_code == 404
        assert error_of(response)["code"] == "payment_not_found"
    response = api.get("/refunds/re_nope")
    assert error_of(response)["code"] == "refund_not_found"
    for path in ("/nope", "/payments/pay_x/refund", "/", "/payments/pay_x/capture/extra"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "resource_not_found"
    response = api.client.delete(f"{API}/payments", headers={"Authorization": f"Bearer {api.key}"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert error_of(response)["code"] == "method_not_allowed"
    response = api.get("/payments/pay_x/capture")
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_the_rate_limit_answers_429_with_retry_after(api: Api, settings: Any) -> None:
    cfg = config()
    settings.ZHIFU = dataclasses.replace(cfg, env=cfg.env.model_copy(update={"api_rate_limit": 2}))
    assert api.get("/payments").status_code == 200
    assert api.get("/payments").status_code == 200
    response = api.get("/payments")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    error = error_of(response)
    assert (error["type"], error["code"]) == ("rate_limit_error", "rate_limited")


def test_errors_are_english_whatever_the_language_asked(api: Api) -> None:
    response = api.get("/payments/pay_x", **{"Accept-Language": "ru"})
    assert error_of(response)["message"] == "This payment does not exist."


def test_no_answer_uses_ninjas_detail_shape(api: Api) -> None:
    answers = [
        api.post("/payments", raw="{"),
        api.post("/payments", {"x": 1}),
        api.get("/payments", {"limit": "x"}),
        api.get("/nope"),
        Api(None).get("/payments"),
    ]
    for response in answers:
        assert "detail" not in json.loads(response.content)
        error_of(response)


def test_the_api_needs_no_csrf_token_and_sets_no_cookie(api: Api, client: Any) -> None:
    enforcing = Api(api.key, type(client)(enforce_csrf_checks=True))
    response = enforcing.post("/payments", payment_body())
    assert response.status_code == 201
    assert not response.cookies
    assert not enforcing.get("/payments").cookies


def test_a_server_error_is_the_envelope_and_logs_no_key(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    from zhifu.payments import services as payments

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(payments, "get_payment", broken)  # a fault only a bug would cause
    response = api.get("/payments/pay_x")
    assert response.status_code == 500
    error = error_of(response)
    assert (error["type"], error["code"]) == ("api_error", "api_error")
    assert "a bug" not in error["message"]  # no internals in the answer
    assert "a bug" in caplog.text  # but logged for the operator
    assert api.key is not None
    logged = caplog.text + "".join(capsys.readouterr())
    assert api.key not in logged
    assert api.key[14:] not in logged
