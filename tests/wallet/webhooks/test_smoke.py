from __future__ import annotations

import json
from typing import Any

from tests.wallet.merchants.support import Api
from tests.wallet.webhooks.support import deliver_all, emit, fan_out_all
from zhifu.kernel import clock, http
from zhifu.webhooks import domain


def test_create_endpoint_then_a_signed_delivery(api: Api, settings: Any) -> None:
    made = api.post(
        "/webhook_endpoints",
        {"url": "https://shop.example/hooks", "enabled_events": ["*"]},
        idempotency_key="a",
    )
    assert made.status_code == 201, made.json()
    secret = made.json()["secret"]
    assert secret.startswith("whsec_")
    got: list[http.Request] = []

    def receiver(request: http.Request) -> http.Response:
        got.append(request)
        return http.Response(200, {}, b"ok")

    transport = http.MockTransport(receiver)
    event = emit("shop-a")
    fan_out_all()
    assert deliver_all(transport) == 1
    request = got[0]
    domain.verify(request.headers, request.content, secret, now=clock.now())
    assert request.header("webhook-id") == event
    assert json.loads(request.content)["id"] == event
    log = api.get(f"/events/{event}/deliveries").json()
    assert log["data"][0]["status"] == "succeeded"
    assert log["data"][0]["attempts"][0]["status_code"] == 200
