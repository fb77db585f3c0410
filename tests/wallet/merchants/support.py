"""Platforms, keys and an API client for the merchant API's tests."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from zhifu.accounts.models import Platform
from zhifu.merchants import services
from zhifu.merchants.domain import Mode

API = "/api/v1"


def new_platform(slug: str, *, active: bool = True) -> Platform:
    return Platform.objects.create(
        slug=slug,
        name=f"Shop {slug}",
        issuer=f"https://{slug}.example.org/o",
        client_id="zhifu-wallet",
        is_active=active,
    )


def new_key(slug: str, mode: Mode = Mode.TEST) -> str:
    return services.create_key(slug, mode=mode).secret.reveal()


class Api:
    """Django's test client speaking JSON with one secret key."""

    def __init__(
        self,
        key: str | None,
        client: Client | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.key = key
        self.client = client or Client()
        self.headers = headers or {}

    def _headers(self, idempotency_key: str | None, extra: dict[str, str]) -> dict[str, str]:
        headers = {**self.headers, **extra}
        if self.key is not None:
            headers.setdefault("Authorization", f"Bearer {self.key}")
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        idempotency_key: str | None = None,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.post(
            API + path,
            data=data,
            content_type="application/json",
            headers=self._headers(idempotency_key, headers or {}),
        )

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(API + path, params or {}, headers=self._headers(None, headers))


def error_of(response: Any) -> dict[str, Any]:
    """The envelope's body, after checking it is the envelope and nothing else."""
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    assert set(error) == {"type", "code", "message", "param"}, error
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


RETURN_URL = "https://shop.example/orders/42/done"


def payment_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "amount": 1500,
        "currency": "USD",
        "order_reference": "order-42",
        "description": "Two books",
        "return_url": RETURN_URL,
        "metadata": {"cart": "7"},
    }
    body.update(overrides)
    return body


def create_payment(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post("/payments", payment_body(**overrides))
    assert response.status_code == 201, response.content
    payment: dict[str, Any] = response.json()
    return payment


def pay(payment_id: str, user: Any, network: Any) -> None:
    """The buyer pays on the cashier with a saved card and the payment password."""
    from tests.wallet.payments.support import pay_proof, save_card
    from zhifu.payments import services as payments
    from zhifu.vault import services as vault

    cards = vault.list_cards(user)
    card = cards[0] if cards else save_card(user, network)
    payments.cashier(user, payment_id)
    payments.pay_with_saved_card(
        user, payment_id, card_id=card.id, step_up=pay_proof(user, payment_id)
    )
