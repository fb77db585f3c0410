"""A requests transport adapter answering from a script: no sockets, no servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raise_: Exception | None = None  # a network failure instead of an answer


Handler = Callable[[requests.PreparedRequest], Answer]


class FakeAdapter(BaseAdapter):
    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.requests.append(request)
        answer = self.handler(request)
        if answer.raise_ is not None:
            raise answer.raise_
        response = requests.Response()
        response.status_code = answer.status
        response.headers.update(answer.headers)
        if answer.body is not None:
            response._content = (
                answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
            )
            response.headers.setdefault("Content-Type", "application/json")
        else:
            response._content = b""
        response.request = request
        response.url = request.url or ""
        return response

    def close(self) -> None:
        pass


def session_with(handler: Handler) -> tuple[requests.Session, FakeAdapter]:
    adapter = FakeAdapter(handler)
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session, adapter


def script(*answers: Answer) -> Handler:
    """Answer each request with the next answer; the last one repeats."""
    queue = list(answers)

    def handler(request: requests.PreparedRequest) -> Answer:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def payment_json(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "pay_1",
        "object": "payment",
        "amount": 4900,
        "currency": "CNY",
        "amount_capturable": 0,
        "amount_received": 0,
        "amount_refunded": 0,
        "status": "requires_payment_method",
        "capture_method": "automatic",
        "order_reference": "order-42",
        "description": "",
        "buyer_reference": None,
        "return_url": "https://shop.example/orders/42",
        "cashier_url": "http://localhost:8000/pay/pay_1/",
        "metadata": {},
        "created_at": "2026-06-15T12:00:00Z",
        "expires_at": "2026-06-15T13:00:00Z",
        "canceled_at": None,
        "failure": None,
        "payment_method": None,
        "livemode": False,
    }
    data.update(overrides)
    return data


def error_json(
    code: str, error_type: str = "invalid_request_error", param: str | None = None
) -> dict[str, Any]:
    return {"error": {"type": error_type, "code": code, "message": f"{code}!", "param": param}}
