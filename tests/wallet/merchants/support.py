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

    def __init__(self, key: str | None, client: Client | None = None) -> None:
        self.key = key
        self.client = client or Client()

    def _headers(self, idempotency_key: str | None, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
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
