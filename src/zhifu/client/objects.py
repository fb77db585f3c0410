"""The API's objects as typed, frozen dataclasses.

Each is built from the JSON the API returns by `from_json`, which ignores fields it does not
know (the API may add some) and keeps the whole object in `raw`. Amounts are integers in
the currency's minor units, exactly as the API sends them; times are aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _required_time(value: Any) -> datetime:
    parsed = _time(value)
    if parsed is None:
        raise ValueError(f"expected an ISO 8601 time, got {value!r}")
    return parsed


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Failure:
    code: str
    message: str

    @classmethod
    def from_json(cls, data: Any) -> Failure | None:
        if not isinstance(data, dict):
            return None
        return cls(code=str(data.get("code", "")), message=str(data.get("message", "")))


@dataclass(frozen=True)
class Card:
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None


@dataclass(frozen=True)
class PaymentMethod:
    type: str  # "card" or "balance"
    card: Card | None

    @classmethod
    def from_json(cls, data: Any) -> PaymentMethod | None:
        if not isinstance(data, dict):
            return None
        card = data.get("card")
        return cls(
            type=str(data.get("type", "")),
            card=Card(
                brand=str(card.get("brand", "")),
                last4=str(card.get("last4", "")),
                exp_month=card.get("exp_month"),
                exp_year=card.get("exp_year"),
            )
            if isinstance(card, dict)
            else None,
        )


@dataclass(frozen=True)
class Payment:
    id: str
    amount: int
    currency: str
    amount_capturable: int
    amount_received: int
    amount_refunded: int
    status: str
    capture_method: str
    order_reference: str
    description: str
    buyer_reference: str | None
    return_url: str
    cashier_url: str
    metadata: dict[str, str]
    created_at: datetime
    expires_at: datetime | None
    canceled_at: datetime | None
    failure: Failure | None
    payment_method: PaymentMethod | None
    livemode: bool
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Payment:
        return cls(
            id=data["id"],
            amount=data["amount"],
            currency=data["currency"],
            amount_capturable=data.get("amount_capturable", 0),
            amount_received=data.get("amount_received", 0),
            amount_refunded=data.get("amount_refunded", 0),
            status=data["status"],
            capture_method=data.get("capture_method", "automatic"),
            order_reference=data.get("order_reference", ""),
            description=data.get("description", ""),
            buyer_reference=data.get("buyer_reference"),
            return_url=data.get("return_url", ""),
            cashier_url=data.get("cashier_url", ""),
            metadata=_strings(data.get("metadata")),
            created_at=_required_time(data["created_at"]),
            expires_at=_time(data.get("expires_at")),
            canceled_at=_time(data.get("canceled_at")),
            failure=Failure.from_json(data.get("failure")),
            payment_method=PaymentMethod.from_json(data.get("payment_method")),
            livemode=bool(data.get("livemode", False)),
            raw=data,
        )


@dataclass(frozen=True)
class Refund:
    id: str
    payment: str
    amount: int
    currency: str
    status: str
    reason: str
    metadata: dict[str, str]
    created_at: datetime
    failure: Failure | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Refund:
        return cls(
            id=data["id"],
            payment=data["payment"],
            amount=data["amount"],
            currency=data["currency"],
            status=data["status"],
            reason=data.get("reason", ""),
            metadata=_strings(data.get("metadata")),
            created_at=_required_time(data["created_at"]),
            failure=Failure.from_json(data.get("failure")),
            raw=data,
        )


@dataclass(frozen=True)
class WebhookEndpoint:
    id: str
    url: str
    enabled_events: list[str]
    status: str
    created_at: datetime | None
    # Only in the answer that created or rotated it: shown once, never again.
    secret: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WebhookEndpoint:
        events = data.get("enabled_events", data.get("event_types", []))
        return cls(
            id=data["id"],
            url=data.get("url", ""),
            enabled_events=[str(e) for e in events] if isinstance(events, list) else [],
            status=str(data.get("status", "enabled")),
            created_at=_time(data.get("created_at")),
            secret=data.get("secret"),
            raw=data,
        )


@dataclass(frozen=True)
class Event:
    """A webhook's payload, or one of `GET /events`: `data` is the object as the API returns
    it (a payment, a refund, ...); `payment()` and `refund()` read it as one."""

    id: str
    type: str
    created_at: datetime | None
    data: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        obj = data.get("data", {})
        if isinstance(obj, dict) and isinstance(obj.get("object"), dict):
            obj = obj["object"]  # {"data": {"object": {...}}} as some APIs nest it
        return cls(
            id=data["id"],
            type=data["type"],
            created_at=_time(data.get("created_at", data.get("created"))),
            data=obj if isinstance(obj, dict) else {},
            raw=data,
        )

    def payment(self) -> Payment:
        return Payment.from_json(self.data)

    def refund(self) -> Refund:
        return Refund.from_json(self.data)


@dataclass(frozen=True)
class Deleted:
    id: str
    deleted: bool
