"""zhifu's Python SDK: the merchant API over requests, with no Django (docs/sdk.md).

from zhifu.client import Client
client = Client("sk_test_…", base_url="http://localhost:8000/api/v1")
payment = client.payments.create(amount=4900, currency="CNY", order_reference="42",
                                  return_url="https://shop.example/orders/42")
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import requests

from zhifu.client._http import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, Requestor, RetryPolicy
from zhifu.client.errors import (
    APIError,
    AuthenticationError,
    CardError,
    ConflictError,
    IdempotencyError,
    InvalidRequestError,
    NetworkError,
    NotFoundError,
    RateLimitError,
    WebhookVerificationError,
    ZhifuError,
)
from zhifu.client.objects import (
    Card,
    Deleted,
    Event,
    Failure,
    Payment,
    PaymentMethod,
    Refund,
    WebhookEndpoint,
)
from zhifu.client.resources import Events, Page, Payments, Refunds, WebhookEndpoints
from zhifu.client.webhooks import sign, verify_webhook

__all__ = [
    "APIError",
    "AuthenticationError",
    "Card",
    "CardError",
    "Client",
    "ConflictError",
    "Deleted",
    "Event",
    "Failure",
    "IdempotencyError",
    "InvalidRequestError",
    "NetworkError",
    "NotFoundError",
    "Page",
    "Payment",
    "PaymentMethod",
    "RateLimitError",
    "Refund",
    "WebhookEndpoint",
    "WebhookVerificationError",
    "ZhifuError",
    "sign",
    "verify_webhook",
]


class Client:
    """A shop's connection to the zhifu API, with one secret key.

    ``max_retries`` is how many times a call is sent again after a network error, a 409
    `idempotency_key_in_use`, a 429 or a 5xx (0: never); every attempt of a POST carries
    the same idempotency key, so the wallet does the work once.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = "http://localhost:8000/api/v1",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self._requestor = Requestor(
            api_key,
            base_url,
            timeout=timeout,
            retry=RetryPolicy(max_retries=max_retries),
            session=session,
            sleep=sleep,
            rng=rng,
        )
        self.payments = Payments(self._requestor)
        self.refunds = Refunds(self._requestor)
        self.webhook_endpoints = WebhookEndpoints(self._requestor)
        self.events = Events(self._requestor)

    def __repr__(self) -> str:  # never the key
        return f"Client(base_url={self._requestor.base_url!r})"
