"""The webhook endpoints and events of the merchant API (/api/v1; docs/webhooks.md).

A ninja router that the merchant API mounts (``merchants.api``): it inherits that API's
key authentication, rate limit and error envelope, and is handed that API's idempotent POST
and query check when mounted (:func:`router`), so webhooks import nothing of the layer
above them. Thin: each operation calls one use case of ``webhooks.services``.
"""

import re
from collections.abc import Callable
from typing import Any, Literal, Protocol

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Body, Query, Router, Schema
from pydantic import (
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
)

from zhifu.web.instants import Instant
from zhifu.webhooks import domain, services
from zhifu.webhooks.errors import EndpointNotFound, EventNotFound

Reply = tuple[int, dict[str, Any]]
_ID = re.compile(r"^[a-z]{1,12}_[0-9A-Z]{26}$")


class Post(Protocol):
    """The merchant API's idempotent POST (``Idempotency-Key``), handed in when mounted."""

    def __call__(
        self,
        request: HttpRequest,
        key: str | None,
        body: Any,
        operation: Callable[[], Reply],
        *,
        atomic: bool,
    ) -> HttpResponse: ...


class _In(Schema):
    model_config = ConfigDict(extra="forbid")


class _Out(Schema):
    model_config = ConfigDict(extra="forbid")


EventType = Literal[
    "*",
    "payment.processing",
    "payment.requires_action",
    "payment.requires_capture",
    "payment.succeeded",
    "payment.failed",
    "payment.canceled",
    "payment.expired",
    "refund.pending",
    "refund.succeeded",
    "refund.failed",
]
assert set(EventType.__args__) == {domain.ALL_EVENTS, *domain.EVENT_TYPES}  # type: ignore[attr-defined]


class EndpointCreate(_In):
    url: StrictStr = Field(description="https (http in the demo), on a public address.")
    enabled_events: list[EventType] = Field(description='Event types, or ["*"] for all.')
    description: StrictStr = Field(default="", json_schema_extra={"maxLength": 500})


class EndpointUpdate(_In):
    url: StrictStr | None = None
    enabled_events: list[EventType] | None = None
    description: StrictStr | None = None
    disabled: bool | None = Field(default=None, description="true: no new deliveries.")


class RotateIn(_In):
    overlap_hours: StrictInt | StrictFloat | None = Field(
        default=None,
        description="How long the current secret keeps signing too (0-168, default 24).",
    )


class ResendIn(_In):
    endpoint: StrictStr | None = Field(default=None, description="Only to this endpoint.")


class EndpointOut(_Out):
    id: str
    object: Literal["webhook_endpoint"]
    url: str
    enabled_events: list[str]
    description: str
    status: Literal["enabled", "disabled"]
    created_at: str
    livemode: bool
    secret: str | None = Field(default=None, description="whsec_…: in this answer only.")


class EndpointDeleted(_Out):
    id: str
    object: Literal["webhook_endpoint"]
    deleted: Literal[True]


class EndpointList(_Out):
    object: Literal["list"]
    url: str
    has_more: bool
    data: list[EndpointOut]


class EventData(_Out):
    object: dict[str, Any] = Field(description="The payment or refund as the API returns it.")


class EventOut(_Out):
    id: str
    object: Literal["event"]
    type: str
    created_at: str
    livemode: bool
    data: EventData


class EventList(_Out):
    object: Literal["list"]
    url: str
    has_more: bool
    data: list[EventOut]


class AttemptOut(_Out):
    number: int
    started_at: str
    status_code: int | None
    response_time_ms: int
    response_body: str = Field(description="The first KiB of the answer.")
    error: str | None


class DeliveryOut(_Out):
    id: str
    object: Literal["webhook_delivery"]
    event: str
    endpoint: str
    url: str
    status: Literal["pending", "succeeded", "failed"]
    attempt_count: int
    next_attempt_at: str | None
    delivered_at: str | None
    attempts: list[AttemptOut]


class DeliveryList(_Out):
    object: Literal["list"]
    url: str
    has_more: bool
    data: list[DeliveryOut]


class Paging(_In):
    limit: int = Field(default=20, description="1 to 100.", json_schema_extra={"maximum": 100})
    starting_after: StrictStr | None = Field(default=None, description="The last id seen.")


class EventFilters(Paging):
    type: EventType | None = None
    created_gte: Instant | None = Field(default=None, description="Created at or after.")
    created_lt: Instant | None = Field(default=None, description="Created before.")


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _list(request: HttpRequest, items: list[dict[str, Any]], more: bool = False) -> HttpResponse:
    return _json(200, {"object": "list", "url": request.path, "has_more": more, "data": items})


def _caller(request: HttpRequest) -> tuple[Any, bool]:
    caller = request.auth  # type: ignore[attr-defined]  # merchants.services.Caller
    return caller.platform, bool(caller.livemode)


def _endpoint_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise EndpointNotFound(param="id")
    return value


def _event_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise EventNotFound(param="id")
    return value


def router(
    post: Post,
    errors: Callable[..., dict[int, Any]],
    idempotency_key: Any,
    only_known: Callable[[HttpRequest, Any], None],
) -> Router:
    """The router, given the merchant API's idempotent POST, its error responses for the
    OpenAPI document, its ``Idempotency-Key`` header and its unknown-parameter check."""
    api = Router(tags=["webhooks"])

    @api.post(
        "/webhook_endpoints",
        response={201: EndpointOut, **errors(409, 422)},
        summary="Create a webhook endpoint (its secret is in this answer only)",
    )
    def create_endpoint(
        request: HttpRequest,
        payload: EndpointCreate,
        idempotency_key: str | None = idempotency_key,
    ) -> HttpResponse:
        platform, livemode = _caller(request)

        def operation() -> Reply:
            return 201, services.create_endpoint(
                platform,
                url=payload.url,
                enabled_events=list(payload.enabled_events),
                description=payload.description,
                livemode=livemode,
            )

        return post(request, idempotency_key, payload, operation, atomic=True)

    @api.get(
        "/webhook_endpoints",
        response={200: EndpointList, **errors()},
        summary="List webhook endpoints, newest first",
    )
    def list_endpoints(request: HttpRequest, filters: Query[Paging]) -> HttpResponse:
        only_known(request, Paging)
        platform, livemode = _caller(request)
        page = services.list_endpoints(
            platform, limit=filters.limit, starting_after=filters.starting_after, livemode=livemode
        )
        return _list(request, page.items, page.has_more)

    @api.get(
        "/webhook_endpoints/{endpoint_id}",
        response={200: EndpointOut, **errors(404)},
        summary="Retrieve a webhook endpoint",
    )
    def get_endpoint(request: HttpRequest, endpoint_id: str) -> HttpResponse:
        platform, livemode = _caller(request)
        found = services.get_endpoint(platform, _endpoint_id(endpoint_id), livemode=livemode)
        return _json(200, found)

    @api.post(
        "/webhook_endpoints/{endpoint_id}",
        response={200: EndpointOut, **errors(404, 409, 422)},
        summary="Update a webhook endpoint (url, events, description, disabled)",
    )
    def update_endpoint(
        request: HttpRequest,
        endpoint_id: str,
        payload: Body[EndpointUpdate | None] = None,
        idempotency_key: str | None = idempotency_key,
    ) -> HttpResponse:
        platform, livemode = _caller(request)
        change = payload or EndpointUpdate()

        def operation() -> Reply:
            events = change.enabled_events
            return 200, services.update_endpoint(
                platform,
                _endpoint_id(endpoint_id),
                livemode=livemode,
                url=change.url,
                enabled_events=None if events is None else list(events),
                description=change.description,
                disabled=change.disabled,
            )

        return post(request, idempotency_key, change, operation, atomic=True)

    @api.delete(
        "/webhook_endpoints/{endpoint_id}",
        response={200: EndpointDeleted, **errors(404)},
        summary="Delete a webhook endpoint (its waiting deliveries are not sent)",
    )
    def delete_endpoint(request: HttpRequest, endpoint_id: str) -> HttpResponse:
        platform, livemode = _caller(request)
        gone = services.delete_endpoint(platform, _endpoint_id(endpoint_id), livemode=livemode)
        return _json(200, gone)

    @api.post(
        "/webhook_endpoints/{endpoint_id}/rotate_secret",
        response={200: EndpointOut, **errors(404, 409, 422)},
        summary="A new signing secret; the current one keeps signing for the overlap",
    )
    def rotate_secret(
        request: HttpRequest,
        endpoint_id: str,
        payload: Body[RotateIn | None] = None,
        idempotency_key: str | None = idempotency_key,
    ) -> HttpResponse:
        platform, livemode = _caller(request)
        rotation = payload or RotateIn()

        def operation() -> Reply:
            return 200, services.rotate_secret(
                platform,
                _endpoint_id(endpoint_id),
                livemode=livemode,
                overlap_hours=rotation.overlap_hours,
            )

        return post(request, idempotency_key, rotation, operation, atomic=True)

    @api.get("/events", response={200: EventList, **errors()}, summary="List events, newest first")
    def list_events(request: HttpRequest, filters: Query[EventFilters]) -> HttpResponse:
        only_known(request, EventFilters)
        platform, livemode = _caller(request)
        page = services.list_events(
            platform,
            livemode=livemode,
            type=None if filters.type in (None, domain.ALL_EVENTS) else filters.type,
            created_gte=filters.created_gte,
            created_lt=filters.created_lt,
            limit=filters.limit,
            starting_after=filters.starting_after,
        )
        return _list(request, page.items, page.has_more)

    @api.get(
        "/events/{event_id}", response={200: EventOut, **errors(404)}, summary="Retrieve an event"
    )
    def get_event(request: HttpRequest, event_id: str) -> HttpResponse:
        platform, livemode = _caller(request)
        return _json(200, services.get_event(platform, _event_id(event_id), livemode=livemode))

    @api.get(
        "/events/{event_id}/deliveries",
        response={200: DeliveryList, **errors(404)},
        summary="An event's deliveries: attempts, status codes, times, the answers' first KiB",
    )
    def event_deliveries(request: HttpRequest, event_id: str) -> HttpResponse:
        platform, livemode = _caller(request)
        rows = services.event_deliveries(platform, _event_id(event_id), livemode=livemode)
        return _list(request, rows)

    @api.post(
        "/events/{event_id}/resend",
        response={200: DeliveryList, **errors(404, 409, 422)},
        summary="Send an event again (to one endpoint, or to every one that had it)",
    )
    def resend(
        request: HttpRequest,
        event_id: str,
        payload: Body[ResendIn | None] = None,
        idempotency_key: str | None = idempotency_key,
    ) -> HttpResponse:
        platform, livemode = _caller(request)
        again = payload or ResendIn()

        def operation() -> Reply:
            endpoint = None if again.endpoint is None else _endpoint_id(again.endpoint)
            rows = services.resend(
                platform, _event_id(event_id), livemode=livemode, endpoint_id=endpoint
            )
            return 200, {"object": "list", "url": request.path, "has_more": False, "data": rows}

        return post(request, idempotency_key, again, operation, atomic=True)

    return api
