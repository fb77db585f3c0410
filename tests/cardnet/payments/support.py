"""Calling cardnet's payment API through Django's test client."""

from __future__ import annotations

import itertools
import json
from typing import Any

from django.test import Client

from zhifu.config.site import config

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123",
        "holder_name": "ANNA IVANOVA"}  # fmt: skip
CHALLENGE_CARD = "4000000000003220"
TIMEOUT_CARD = "4000000000000036"
WALLET_RETURN = "http://localhost:8000/pay/pay_1/challenge/"
_keys = itertools.count(1)


def new_key(flow: str = "op") -> str:
    return f"pay_t{next(_keys)}:{flow}"


def api_key() -> str:
    return config().secret("cardnet_api_key").reveal()


def post(client: Client, path: str, body: Any, key: str | None = None, **headers: str) -> Any:
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    sent = {"Authorization": f"Bearer {api_key()}", **headers}
    if key is not None:
        sent["Idempotency-Key"] = key
    return client.post(path, content, content_type="application/json", headers=sent)


def get(client: Client, path: str, **headers: str) -> Any:
    return client.get(path, headers={"Authorization": f"Bearer {api_key()}", **headers})


def authorize(client: Client, amount: int = 1250, currency: str = "EUR", key: str | None = None,
              **card: Any) -> Any:  # fmt: skip
    return post(client, "/api/v1/authorizations",
                {**CARD, **card, "amount": amount, "currency": currency},
                key or new_key("authorize"))  # fmt: skip


def authorized(client: Client, amount: int = 1250, currency: str = "EUR") -> str:
    data = authorize(client, amount, currency).json()
    assert data["status"] == "authorized", data
    return str(data["id"])


def capture(client: Client, auth: str, amount: int, currency: str = "EUR",
            key: str | None = None) -> Any:  # fmt: skip
    return post(client, f"/api/v1/authorizations/{auth}/captures",
                {"amount": amount, "currency": currency}, key or new_key("capture"))  # fmt: skip


def void(client: Client, auth: str, key: str | None = None) -> Any:
    return post(client, f"/api/v1/authorizations/{auth}/void", {}, key or new_key("void"))


def refund(client: Client, auth: str, amount: int, currency: str = "EUR",
           key: str | None = None) -> Any:  # fmt: skip
    return post(client, f"/api/v1/authorizations/{auth}/refunds",
                {"amount": amount, "currency": currency}, key or new_key("refund"))  # fmt: skip


def status(client: Client, key: str) -> Any:
    from urllib.parse import quote

    return get(client, f"/api/v1/operations/{quote(key, safe='')}")
