"""The shop's checkout through the SDK against a fake wallet: the payment it creates, the
redirect to the cashier, "paid" only after a verified webhook, retries, staff refunds,
refunds settled by `refund.*` webhooks, and cancelling an order's payment with the order."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
import requests
from django.test import Client, override_settings

from tests.unit.client.fake import Answer, error_json, payment_json, session_with
from zhifu.client import sign
from zhifu.marketplace.models import Buyer, Order, WebhookReceipt

KEY = "sk_test_" + "s" * 43  # pragma: allowlist secret
SECRET = "whsec_" + base64.b64encode(b"w" * 32).decode()  # pragma: allowlist secret
WALLET = "http://localhost:8000"


class FakeWallet:
    """Payments and refunds of the merchant API, kept in dicts."""

    def __init__(self) -> None:
        self.payments: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.seen_keys: dict[str, dict[str, Any]] = {}
        self.down = False
        self.refund_status = "succeeded"  # what the network answers a refund
        self.void_status = "canceled"  # what a void of an authorization ends in

    def __call__(self, request: requests.PreparedRequest) -> Answer:
        if self.down:
            return Answer(raise_=requests.ConnectionError("down"))
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        path = (request.url or "").removeprefix(f"{WALLET}/api/v1")
        key = request.headers.get("Idempotency-Key")
        if key in self.seen_keys:
            return Answer(201, self.seen_keys[key])
        if request.method == "POST" and path == "/payments":
            body = json.loads(request.body or b"{}")
            pid = f"pay_{len(self.payments) + 1}"
            self.payments[pid] = payment_json(
                id=pid,
                amount=body["amount"],
                currency=body["currency"],
                order_reference=body["order_reference"],
                buyer_reference=body.get("buyer_reference"),
                return_url=body["return_url"],
                description=body.get("description", ""),
                cashier_url=f"{WALLET}/pay/{pid}/",
            )
            assert key
            self.seen_keys[key] = self.payments[pid]
            return Answer(201, self.payments[pid])
        if request.method == "GET" and path.startswith("/payments/"):
            found = self.payments.get(path.split("/")[2])
            return Answer(200, found) if found else Answer(404, error_json("payment_not_found"))
        if request.method == "POST" and path.endswith("/cancel"):
            payment = self.payments[path.split("/")[2]]
            if payment["status"] in {"requires_payment_method", "requires_action"}:
                payment["status"] = "canceled"
            elif payment["status"] == "requires_capture":
                payment["status"] = self.void_status
                payment["amount_capturable"] = 0
            else:
                return Answer(409, error_json("payment_unexpected_state", "conflict_error"))
            return Answer(200, payment)
        if request.method == "POST" and path == "/refunds":
            body = json.loads(request.body or b"{}")
            payment = self.payments[body["payment"]]
            if payment["amount_refunded"] + body["amount"] > payment["amount_received"]:
                return Answer(400, error_json("refund_exceeds_captured"))
            refund = {
                "id": f"re_{len(self.refunds) + 1}", "object": "refund",
                "payment": payment["id"], "amount": body["amount"],
                "currency": payment["currency"], "status": self.refund_status,
                "reason": body.get("reason", ""), "metadata": {},
                "created_at": "2026-06-15T12:30:00Z", "failure": None,
            }  # fmt: skip
            if refund["status"] != "failed":
                payment["amount_refunded"] += body["amount"]
            self.refunds.append(refund)
            assert key
            self.seen_keys[key] = refund
            return Answer(201, refund)
        return Answer(404, error_json("resource_not_found"))

    def settle(self, pid: str, status: str = "succeeded") -> dict[str, Any]:
        payment = self.payments[pid]
        payment["status"] = status
        if status == "succeeded":
            payment["amount_received"] = payment["amount"]
        if status == "requires_capture":
            payment["amount_capturable"] = payment["amount"]
        return payment


@pytest.fixture
def wallet(settings: Any, monkeypatch: pytest.MonkeyPatch, catalogue: None) -> FakeWallet:
    fake = FakeWallet()
    session, _ = session_with(fake)
    settings.ZHIFU_SHOP_WALLET_SESSION = session
    monkeypatch.setenv("ZHIFU_SHOP_API_KEY", KEY)
    monkeypatch.setenv("ZHIFU_SHOP_WEBHOOK_SECRET", SECRET)
    return fake


def webhook(
    client: Client,
    payment: dict[str, Any],
    *,
    msg_id: str = "msg_1",
    event_type: str = "payment.succeeded",
    secret: str = SECRET,
    stamp: int | None = None,
) -> Any:
    body = json.dumps(
        {"id": "evt_" + msg_id, "type": event_type, "created_at": "2026-06-15T12:00:00Z",
         "data": dict(payment)}
    ).encode()  # fmt: skip
    stamp = int(time.time()) if stamp is None else stamp
    return client.post(
        "/webhooks/zhifu/",
        body,
        content_type="application/json",
        headers={
            "webhook-id": msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(msg_id, stamp, body, secret),
        },
    )


def place(signed_in: Client) -> tuple[Order, Any]:
    signed_in.post("/products/travel-backpack/add/", {"quantity": "1"})
    signed_in.post("/products/wireless-earbuds/add/", {"quantity": "2"})
    response = signed_in.post("/checkout/")
    return Order.objects.get(), response


def page(client: Client, order: Order, query: str = "") -> str:
    client.cookies["zhifu_marketplace_lang"] = "en"
    return client.get(f"/orders/{order.number}/{query}").content.decode()


def test_checkout_creates_the_payment_and_sends_the_buyer_to_the_cashier(
    signed_in: Client, buyer: Buyer, wallet: FakeWallet
) -> None:
    order, response = place(signed_in)
    assert response.status_code == 302
    assert response["Location"] == f"{WALLET}/pay/pay_1/"
    made = wallet.payments["pay_1"]
    assert made["amount"] == 4550 + 2 * 2999
    assert made["currency"] == "USD"
    assert made["order_reference"] == order.number
    assert made["buyer_reference"] == buyer.public_id
    assert made["return_url"] == f"http://testserver/orders/{order.number}/"
    assert made["description"] == "Wireless earbuds, Travel backpack"
    order.refresh_from_db()
    assert (order.payment_id, order.payment_attempt) == ("pay_1", 1)


def test_the_order_is_paid_only_after_a_verified_webhook(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order, _ = place(signed_in)
    paid = wallet.settle("pay_1")
    # Back from the cashier: the wallet says succeeded, but no webhook yet.
    html = page(signed_in, order, "?payment_id=pay_1&status=succeeded")
    assert "being confirmed" in html
    assert 'http-equiv="refresh"' in html
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert webhook(Client(), paid).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    html = page(signed_in, order)
    assert "Paid. Thank you!" in html
    assert 'http-equiv="refresh"' not in html


def test_a_forged_or_stale_webhook_changes_nothing(signed_in: Client, wallet: FakeWallet) -> None:
    order, _ = place(signed_in)
    paid = wallet.settle("pay_1")
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()  # pragma: allowlist secret
    assert webhook(Client(), paid, secret=other).status_code == 400
    assert webhook(Client(), paid, stamp=int(time.time()) - 301).status_code == 400
    unsigned = Client().post("/webhooks/zhifu/", json.dumps({}), content_type="application/json")
    assert unsigned.status_code == 400
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert WebhookReceipt.objects.count() == 0


def test_webhooks_are_deduplicated_by_webhook_id(signed_in: Client, wallet: FakeWallet) -> None:
    _order, _ = place(signed_in)
    paid = wallet.settle("pay_1")
    first = webhook(Client(), paid, msg_id="msg_same")
    again = webhook(Client(), paid, msg_id="msg_same")
    assert first.json() == {"received": "handled"}
    assert again.status_code == 200
    assert again.json() == {"received": "duplicate"}
    assert WebhookReceipt.objects.filter(webhook_id="msg_same").count() == 1


def test_a_webhook_for_another_amount_or_an_unknown_order_is_ignored(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order, _ = place(signed_in)
    paid = dict(wallet.settle("pay_1"))
    assert webhook(Client(), {**paid, "amount": 1}, msg_id="m1").json() == {"received": "ignored"}
    assert webhook(Client(), {**paid, "order_reference": "nope"}, msg_id="m2").json() == {
        "received": "ignored"
    }
    assert webhook(Client(), {**paid, "status": "failed"}, msg_id="m3").json() == {
        "received": "ignored"
    }
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


@pytest.mark.parametrize("status", ["failed", "expired", "canceled"])
def test_a_failed_or_expired_payment_can_be_tried_again_with_a_new_one(
    signed_in: Client, wallet: FakeWallet, status: str
) -> None:
    order, _ = place(signed_in)
    wallet.settle("pay_1", status)
    assert "Try again" in page(signed_in, order)
    response = signed_in.post(f"/orders/{order.number}/pay/")
    assert response["Location"] == f"{WALLET}/pay/pay_2/"
    order.refresh_from_db()
    assert (order.payment_id, order.payment_attempt) == ("pay_2", 2)


def test_an_open_payment_is_continued_not_duplicated(signed_in: Client, wallet: FakeWallet) -> None:
    order, _ = place(signed_in)
    assert "Continue to payment" in page(signed_in, order)
    response = signed_in.post(f"/orders/{order.number}/pay/")
    assert response["Location"] == f"{WALLET}/pay/pay_1/"
    assert len(wallet.payments) == 1


def test_a_paying_order_cannot_start_a_second_payment(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order, _ = place(signed_in)
    wallet.settle("pay_1", "processing")
    response = signed_in.post(f"/orders/{order.number}/pay/", follow=True)
    assert "cannot be paid now" in response.content.decode()
    assert len(wallet.payments) == 1


def test_the_wallet_down_keeps_the_order_waiting(signed_in: Client, wallet: FakeWallet) -> None:
    wallet.down = True
    order, response = place(signed_in)
    assert response["Location"] == f"/orders/{order.number}/"
    assert "not available right now" in signed_in.get(response["Location"]).content.decode()
    assert Order.objects.get().payment_attempt == 0


def test_another_buyer_cannot_pay_or_see_the_order(signed_in: Client, wallet: FakeWallet) -> None:
    order, _ = place(signed_in)
    stranger = Buyer.objects.create_user("s@example.org", "x-violet-moon-3")
    other = Client()
    other.force_login(stranger, backend="django.contrib.auth.backends.ModelBackend")
    assert other.post(f"/orders/{order.number}/pay/").status_code == 404
    assert other.get("/staff/orders/").status_code == 404


def _paid_order(signed_in: Client, wallet: FakeWallet) -> Order:
    order, _ = place(signed_in)
    webhook(Client(), wallet.settle("pay_1"))
    order.refresh_from_db()
    return order


@pytest.fixture
def staff(db: None) -> Client:
    member = Buyer.objects.create_user("staff@example.org", "x-amber-pine-7", is_staff=True)
    client = Client()
    client.force_login(member, backend="django.contrib.auth.backends.ModelBackend")
    client.cookies["zhifu_marketplace_lang"] = "en"
    return client


def test_staff_refund_part_then_the_rest(
    signed_in: Client, wallet: FakeWallet, staff: Client
) -> None:
    order = _paid_order(signed_in, wallet)
    assert order.number in staff.get("/staff/orders/").content.decode()
    response = staff.post(f"/staff/orders/{order.number}/refund/", {"amount": "45.50"}, follow=True)
    assert "Refunded $45.50" in response.content.decode()
    assert wallet.refunds[-1]["amount"] == 4550
    staff.post(f"/staff/orders/{order.number}/refund/", {"amount": ""})
    assert wallet.refunds[-1]["amount"] == 2 * 2999
    order.refresh_from_db()
    assert order.refunded_minor == order.total_minor
    assert "Fully refunded" in staff.get("/staff/orders/").content.decode()


@pytest.mark.parametrize("amount", ["0", "-1", "200.00", "1.001", "abc", "NaN"])
def test_staff_refund_refuses_bad_amounts(
    signed_in: Client, wallet: FakeWallet, staff: Client, amount: str
) -> None:
    order = _paid_order(signed_in, wallet)
    response = staff.post(f"/staff/orders/{order.number}/refund/", {"amount": amount}, follow=True)
    assert "Choose an amount up to" in response.content.decode()
    assert wallet.refunds == []


def test_a_buyer_cannot_refund(signed_in: Client, wallet: FakeWallet) -> None:
    order = _paid_order(signed_in, wallet)
    assert (
        signed_in.post(f"/staff/orders/{order.number}/refund/", {"amount": ""}).status_code == 404
    )
    assert wallet.refunds == []


def test_an_unpaid_order_cannot_be_refunded(
    signed_in: Client, wallet: FakeWallet, staff: Client
) -> None:
    order, _ = place(signed_in)
    staff.post(f"/staff/orders/{order.number}/refund/", {"amount": ""})
    assert wallet.refunds == []


# --- refunds settled by the wallet's refund.* webhooks -----------------------------------


def refund_json(refund_id: str, payment: str, amount: int, status: str) -> dict[str, Any]:
    return {
        "id": refund_id, "object": "refund", "payment": payment, "amount": amount,
        "currency": "USD", "status": status, "reason": "", "metadata": {},
        "created_at": "2026-06-15T12:30:00Z", "failure": None,
    }  # fmt: skip


def sums(order: Order) -> tuple[int, int]:
    order.refresh_from_db()
    return order.refunded_minor, order.refund_pending_minor


def test_a_refund_made_elsewhere_arrives_by_its_webhook_once(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order = _paid_order(signed_in, wallet)
    made = refund_json("re_elsewhere", "pay_1", 1000, "succeeded")
    first = webhook(Client(), made, msg_id="r1", event_type="refund.succeeded")
    assert first.json() == {"received": "handled"}
    assert sums(order) == (1000, 0)
    # The same delivery again, and the same news under another webhook-id: nothing twice.
    assert webhook(Client(), made, msg_id="r1", event_type="refund.succeeded").json() == {
        "received": "duplicate"
    }
    assert webhook(Client(), made, msg_id="r2", event_type="refund.succeeded").json() == {
        "received": "ignored"
    }
    assert sums(order) == (1000, 0)
    assert "Refunded: $10.00." in page(signed_in, order)


def test_a_staff_refund_and_its_webhook_count_once(
    signed_in: Client, wallet: FakeWallet, staff: Client
) -> None:
    order = _paid_order(signed_in, wallet)
    staff.post(f"/staff/orders/{order.number}/refund/", {"amount": "45.50"})
    assert sums(order) == (4550, 0)
    made = wallet.refunds[-1]
    webhook(Client(), made, msg_id="r1", event_type="refund.pending")  # late, out of order
    webhook(Client(), made, msg_id="r2", event_type="refund.succeeded")
    assert sums(order) == (4550, 0)


def test_a_pending_refund_is_settled_by_its_webhook_whatever_the_order(
    signed_in: Client, wallet: FakeWallet, staff: Client
) -> None:
    order = _paid_order(signed_in, wallet)
    wallet.refund_status = "pending"
    staff.post(f"/staff/orders/{order.number}/refund/", {"amount": ""})
    assert sums(order) == (0, order.total_minor)
    html = staff.get("/staff/orders/").content.decode()
    assert "on its way" in html
    assert "Fully refunded" not in html
    pending = wallet.refunds[-1]
    webhook(Client(), {**pending, "status": "failed"}, msg_id="r1", event_type="refund.failed")
    assert sums(order) == (0, 0)
    # A delayed refund.pending cannot bring a failed refund back.
    webhook(Client(), pending, msg_id="r2", event_type="refund.pending")
    assert sums(order) == (0, 0)
    assert order.refundable.minor == order.total_minor


def test_a_refund_of_another_payment_or_currency_is_ignored(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order = _paid_order(signed_in, wallet)
    stray = refund_json("re_x", "pay_unknown", 100, "succeeded")
    assert webhook(Client(), stray, msg_id="r1", event_type="refund.succeeded").json() == {
        "received": "ignored"
    }
    other = {**refund_json("re_y", "pay_1", 100, "succeeded"), "currency": "EUR"}
    assert webhook(Client(), other, msg_id="r2", event_type="refund.succeeded").json() == {
        "received": "ignored"
    }
    assert sums(order) == (0, 0)


# --- cancelling an order cancels its payment ---------------------------------------------


def cancel(client: Client, order: Order) -> str:
    client.cookies["zhifu_marketplace_lang"] = "en"
    return client.post(f"/orders/{order.number}/cancel/", follow=True).content.decode()


def test_cancelling_an_unpaid_order_cancels_its_payment(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order, _ = place(signed_in)
    assert "was cancelled" in cancel(signed_in, order)
    assert wallet.payments["pay_1"]["status"] == "canceled"  # the cashier link is dead
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert signed_in.post(f"/orders/{order.number}/pay/")["Location"] == f"/orders/{order.number}/"
    assert len(wallet.payments) == 1


@pytest.mark.parametrize("void_ends_in", ["canceled", "processing"])
def test_cancelling_an_authorized_order_voids_the_authorization(
    signed_in: Client, wallet: FakeWallet, void_ends_in: str
) -> None:
    order, _ = place(signed_in)
    wallet.settle("pay_1", "requires_capture")
    wallet.void_status = void_ends_in  # "processing": the void is on its way
    assert "was cancelled" in cancel(signed_in, order)
    assert wallet.payments["pay_1"]["amount_capturable"] == 0
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED


@pytest.mark.parametrize("status", ["processing", "succeeded"])
def test_an_order_whose_payment_is_being_confirmed_cannot_be_cancelled_yet(
    signed_in: Client, wallet: FakeWallet, status: str
) -> None:
    order, _ = place(signed_in)
    wallet.settle("pay_1", status)
    html = page(signed_in, order)
    assert "You can cancel the order once its payment is confirmed." in html
    assert "Cancel order" not in html
    assert "being confirmed, so the order cannot be cancelled" in cancel(signed_in, order)
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT
    assert wallet.payments["pay_1"]["status"] == status
    assert wallet.refunds == []


def test_cancelling_a_paid_order_refunds_what_is_left(
    signed_in: Client, wallet: FakeWallet, staff: Client
) -> None:
    order = _paid_order(signed_in, wallet)
    staff.post(f"/staff/orders/{order.number}/refund/", {"amount": "45.50"})
    html = page(signed_in, order)
    assert "if you cancel it, $59.98 is refunded" in html
    assert "was cancelled" in cancel(signed_in, order)
    assert [r["amount"] for r in wallet.refunds] == [4550, 2 * 2999]
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert (order.refunded_minor, order.refund_pending_minor) == (order.total_minor, 0)
    assert "Refunded: $105.48." in page(signed_in, order)
    # Its refund's webhook, arriving after, counts nothing twice.
    webhook(Client(), wallet.refunds[-1], msg_id="r1", event_type="refund.succeeded")
    assert sums(order) == (order.total_minor, 0)


def test_a_paid_order_whose_refund_fails_stays_paid(signed_in: Client, wallet: FakeWallet) -> None:
    order = _paid_order(signed_in, wallet)
    wallet.refund_status = "failed"
    assert "not available right now" in cancel(signed_in, order)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_an_order_with_a_payment_is_not_cancelled_while_the_wallet_is_down(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order, _ = place(signed_in)
    wallet.down = True
    assert "not available right now" in cancel(signed_in, order)
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


def test_a_payment_made_while_its_order_was_cancelled_is_cancelled_too(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order, _ = place(signed_in)
    wallet.settle("pay_1", "expired")
    answer = wallet.__call__

    def cancelled_meanwhile(request: requests.PreparedRequest) -> Answer:
        if request.method == "POST" and (request.url or "").endswith("/payments"):
            Order.objects.filter(pk=order.pk).update(status=Order.Status.CANCELLED)
        return answer(request)

    session, _ = session_with(cancelled_meanwhile)
    with override_settings(ZHIFU_SHOP_WALLET_SESSION=session):
        response = signed_in.post(f"/orders/{order.number}/pay/", follow=True)
    assert "cannot be paid now" in response.content.decode()
    assert wallet.payments["pay_2"]["status"] == "canceled"
    order.refresh_from_db()
    assert (order.payment_id, order.status) == ("pay_1", Order.Status.CANCELLED)


def test_an_order_whose_void_is_refused_stays_awaiting_payment(
    signed_in: Client, wallet: FakeWallet
) -> None:
    order, _ = place(signed_in)
    wallet.settle("pay_1", "requires_capture")
    wallet.void_status = "requires_capture"  # the network refused the void: still held
    assert "not available right now" in cancel(signed_in, order)
    order.refresh_from_db()
    assert order.status == Order.Status.AWAITING_PAYMENT


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("pending", "The refund of $45.50 of order {n} is waiting for the bank's answer."),
        ("failed", "The bank refused the refund, so nothing was refunded."),
    ],
)
def test_the_staff_is_told_what_became_of_the_refund(
    signed_in: Client, wallet: FakeWallet, staff: Client, status: str, says: str
) -> None:
    order = _paid_order(signed_in, wallet)
    wallet.refund_status = status
    response = staff.post(f"/staff/orders/{order.number}/refund/", {"amount": "45.50"}, follow=True)
    html = response.content.decode().replace("&#x27;", "'")
    assert says.format(n=order.number) in html
    assert "Refunded $45.50" not in html
