"""The API's resources: `client.payments`, `client.refunds`, `client.webhook_endpoints`,
`client.events`. Each method is one API call (one idempotency key for all its retries)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from zhifu.client._http import Requestor
from zhifu.client.objects import Deleted, Event, Payment, Refund, WebhookEndpoint

T = TypeVar("T")
# A module-level name: inside the classes below, `list` is the method.
JsonObjects = list[dict[str, Any]]


def _when(value: datetime | str | None) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("pass an aware datetime (the API refuses naive times)")
        return value.isoformat()
    return value


@dataclass
class Page(Generic[T]):
    """One page of a list; `auto_paging_iter()` walks this page and every later one."""

    data: list[T]
    has_more: bool
    _next: Callable[[str], Page[T]]
    _last_id: Callable[[T], str]

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def next_page(self) -> Page[T] | None:
        if not self.has_more or not self.data:
            return None
        return self._next(self._last_id(self.data[-1]))

    def auto_paging_iter(self) -> Iterator[T]:
        page: Page[T] | None = self
        while page is not None:
            yield from page.data
            page = page.next_page()


class _Resource:
    def __init__(self, requestor: Requestor) -> None:
        self._r = requestor

    def _page(
        self,
        path: str,
        params: Mapping[str, Any],
        parse: Callable[[dict[str, Any]], T],
        last_id: Callable[[T], str],
    ) -> Page[T]:
        answer = self._r.request("GET", path, params=params)

        def following(cursor: str) -> Page[T]:
            return self._page(path, {**params, "starting_after": cursor}, parse, last_id)

        return Page(
            data=[parse(item) for item in answer.get("data", [])],
            has_more=bool(answer.get("has_more")),
            _next=following,
            _last_id=last_id,
        )


class Payments(_Resource):
    def create(
        self,
        *,
        amount: int,
        currency: str,
        order_reference: str,
        return_url: str,
        description: str | None = None,
        buyer_reference: str | None = None,
        capture_method: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Payment:
        body: dict[str, Any] = {
            "amount": amount,
            "currency": currency,
            "order_reference": order_reference,
            "return_url": return_url,
        }
        optional = {
            "description": description,
            "buyer_reference": buyer_reference,
            "capture_method": capture_method,
            "metadata": dict(metadata) if metadata is not None else None,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        answer = self._r.request("POST", "/payments", body=body, idempotency_key=idempotency_key)
        return Payment.from_json(answer)

    def retrieve(self, payment_id: str) -> Payment:
        return Payment.from_json(self._r.request("GET", f"/payments/{_segment(payment_id)}"))

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        status: str | None = None,
        created_gte: datetime | str | None = None,
        created_lt: datetime | str | None = None,
        order_reference: str | None = None,
    ) -> Page[Payment]:
        params = {
            "limit": limit,
            "starting_after": starting_after,
            "status": status,
            "created_gte": _when(created_gte),
            "created_lt": _when(created_lt),
            "order_reference": order_reference,
        }
        return self._page("/payments", params, Payment.from_json, lambda p: p.id)

    def iterate(self, **filters: Any) -> Iterator[Payment]:
        """Every payment matching the filters, newest first, page after page."""
        return self.list(**filters).auto_paging_iter()

    def capture(
        self, payment_id: str, *, amount: int | None = None, idempotency_key: str | None = None
    ) -> Payment:
        body = {"amount": amount} if amount is not None else None
        answer = self._r.request(
            "POST",
            f"/payments/{_segment(payment_id)}/capture",
            body=body,
            idempotency_key=idempotency_key,
        )
        return Payment.from_json(answer)

    def cancel(self, payment_id: str, *, idempotency_key: str | None = None) -> Payment:
        answer = self._r.request(
            "POST", f"/payments/{_segment(payment_id)}/cancel", idempotency_key=idempotency_key
        )
        return Payment.from_json(answer)


class Refunds(_Resource):
    def create(
        self,
        *,
        payment: str,
        amount: int | None = None,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        body: dict[str, Any] = {"payment": payment}
        if amount is not None:
            body["amount"] = amount
        if reason is not None:
            body["reason"] = reason
        if metadata is not None:
            body["metadata"] = dict(metadata)
        answer = self._r.request("POST", "/refunds", body=body, idempotency_key=idempotency_key)
        return Refund.from_json(answer)

    def retrieve(self, refund_id: str) -> Refund:
        return Refund.from_json(self._r.request("GET", f"/refunds/{_segment(refund_id)}"))

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        payment: str | None = None,
    ) -> Page[Refund]:
        params = {"limit": limit, "starting_after": starting_after, "payment": payment}
        return self._page("/refunds", params, Refund.from_json, lambda r: r.id)

    def iterate(self, **filters: Any) -> Iterator[Refund]:
        return self.list(**filters).auto_paging_iter()


class WebhookEndpoints(_Resource):
    def create(
        self,
        *,
        url: str,
        enabled_events: list[str] | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        body: dict[str, Any] = {"url": url}
        if enabled_events is not None:
            body["enabled_events"] = enabled_events
        if description is not None:
            body["description"] = description
        answer = self._r.request(
            "POST", "/webhook_endpoints", body=body, idempotency_key=idempotency_key
        )
        return WebhookEndpoint.from_json(answer)

    def retrieve(self, endpoint_id: str) -> WebhookEndpoint:
        path = f"/webhook_endpoints/{_segment(endpoint_id)}"
        return WebhookEndpoint.from_json(self._r.request("GET", path))

    def list(
        self, *, limit: int | None = None, starting_after: str | None = None
    ) -> Page[WebhookEndpoint]:
        params = {"limit": limit, "starting_after": starting_after}
        return self._page("/webhook_endpoints", params, WebhookEndpoint.from_json, lambda e: e.id)

    def update(
        self, endpoint_id: str, *, idempotency_key: str | None = None, **fields: Any
    ) -> WebhookEndpoint:
        answer = self._r.request(
            "POST",
            f"/webhook_endpoints/{_segment(endpoint_id)}",
            body=fields,
            idempotency_key=idempotency_key,
        )
        return WebhookEndpoint.from_json(answer)

    def delete(self, endpoint_id: str) -> Deleted:
        self._r.request("DELETE", f"/webhook_endpoints/{_segment(endpoint_id)}")
        return Deleted(id=endpoint_id, deleted=True)

    def rotate_secret(
        self,
        endpoint_id: str,
        *,
        overlap_hours: int | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookEndpoint:
        """A new secret (in this answer only); the old one keeps signing for the overlap."""
        answer = self._r.request(
            "POST",
            f"/webhook_endpoints/{_segment(endpoint_id)}/rotate_secret",
            body={"overlap_hours": overlap_hours} if overlap_hours is not None else None,
            idempotency_key=idempotency_key,
        )
        return WebhookEndpoint.from_json(answer)


class Events(_Resource):
    def retrieve(self, event_id: str) -> Event:
        return Event.from_json(self._r.request("GET", f"/events/{_segment(event_id)}"))

    def list(
        self,
        *,
        limit: int | None = None,
        starting_after: str | None = None,
        type: str | None = None,
        created_gte: datetime | str | None = None,
        created_lt: datetime | str | None = None,
    ) -> Page[Event]:
        params = {
            "limit": limit,
            "starting_after": starting_after,
            "type": type,
            "created_gte": _when(created_gte),
            "created_lt": _when(created_lt),
        }
        return self._page("/events", params, Event.from_json, lambda e: e.id)

    def iterate(self, **filters: Any) -> Iterator[Event]:
        return self.list(**filters).auto_paging_iter()

    def resend(
        self, event_id: str, *, endpoint: str | None = None, idempotency_key: str | None = None
    ) -> JsonObjects:
        """Send the event again (to one endpoint, or every one that had it); its deliveries."""
        answer = self._r.request(
            "POST",
            f"/events/{_segment(event_id)}/resend",
            body={"endpoint": endpoint} if endpoint is not None else None,
            idempotency_key=idempotency_key,
        )
        data = answer.get("data", []) if isinstance(answer, dict) else []
        return [d for d in data if isinstance(d, dict)]

    def deliveries(self, event_id: str) -> JsonObjects:
        answer = self._r.request("GET", f"/events/{_segment(event_id)}/deliveries")
        data = answer.get("data", []) if isinstance(answer, dict) else []
        return [d for d in data if isinstance(d, dict)]


def _segment(value: str) -> str:
    """An id as one path segment: nothing that could walk to another endpoint."""
    if not value or not all(c.isalnum() or c == "_" for c in value):
        raise ValueError(f"not an object id: {value!r}")
    return value
