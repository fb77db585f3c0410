"""The merchant REST API at /api/v1 (django-ninja; docs/api.md is the shops' guide).

Thin: each endpoint authenticates (the Bearer key, then the per-key rate limit), lets ninja
check the body against its schema, and calls one payments use case, through
:func:`services.idempotent` for a POST. Every failure answers the one envelope
``{"error": {"type", "code", "message", "param"}}``, in English, never ninja's
``{"detail": ...}``; every status an operation may answer is declared in the OpenAPI
document (/api/v1/openapi.json, rendered at /api/v1/docs).

No session, no cookie, no CSRF: a request is authenticated by its key alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from ninja import Body, Header, NinjaAPI, Query, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import Field, StrictStr

from zhifu.kernel.currencies import UnknownCurrency
from zhifu.kernel.errors import Refusal
from zhifu.kernel.money import Money, MoneyError
from zhifu.merchants import domain, services
from zhifu.merchants.errors import (
    ApiError,
    AuthenticationRequired,
    BodyNotObject,
    IdempotencyKeyInvalid,
    InvalidJson,
    MerchantsCode,
    MethodNotAllowed,
    ParameterInvalid,
    ParameterMissing,
    ParameterUnknown,
    RateLimited,
    RequestTooLarge,
    ResourceNotFound,
)
from zhifu.merchants.schemas import (
    CancelIn,
    CaptureIn,
    ErrorOut,
    PaymentCreate,
    PaymentList,
    PaymentOut,
    PaymentStatusName,
    RefundCreate,
    RefundList,
    RefundOut,
    Request,
    clean_text,
)
from zhifu.payments import domain as payments_domain
from zhifu.payments import services as payments
from zhifu.payments.domain import CaptureMethod, PaymentStatus
from zhifu.payments.errors import CurrencyUnsupported
from zhifu.web.instants import Instant
from zhifu.webhooks import api as webhooks_api

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a payment with full metadata is about 12 KiB
_IDEMPOTENCY = {
    MerchantsCode.IDEMPOTENCY_KEY_INVALID,
    MerchantsCode.IDEMPOTENCY_KEY_REUSED,
    MerchantsCode.IDEMPOTENCY_KEY_IN_USE,
}


# --- the error envelope ---------------------------------------------------------------------


def error_type(status: int, code: str) -> str:
    if code in _IDEMPOTENCY:
        return "idempotency_error"
    if status == 401:
        return "authentication_error"
    if status == 429:
        return "rate_limit_error"
    if status == 402:
        return "card_error"
    if status >= 500 and code != "payment_network_unavailable":
        return "api_error"
    return "invalid_request_error"


def envelope(refusal: Refusal) -> tuple[int, dict[str, Any]]:
    """A refusal's status and body, its message in English (shops log it)."""
    with translation.override("en"):
        body = refusal.as_error()
    status = refusal.http_status
    return status, {"error": {"type": error_type(status, refusal.code), **body}}


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def refused(refusal: Refusal) -> HttpResponse:
    status, body = envelope(refusal)
    response = _json(status, body)
    if isinstance(refusal, RateLimited):
        response["Retry-After"] = str(refusal.retry_after)
    if isinstance(refusal, MethodNotAllowed):
        response["Allow"] = ", ".join(refusal.allowed)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="zhifu"'
    return response


# --- parsing --------------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"duplicate key {key!r}")
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class StrictJson(Parser):
    """JSON as RFC 8259 has it: no NaN/Infinity, no key twice, UTF-8."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(
                request.body.decode("utf-8"),
                object_pairs_hook=_no_duplicates,
                parse_constant=_no_constant,
            )
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise InvalidJson() from exc
        return data


def _param(path: list[Any]) -> str | None:
    """pydantic's location as the API names parameters: metadata[color]."""
    if not path:
        return None
    head, *rest = (str(part) for part in path)
    return head + "".join(f"[{part}]" for part in rest)


_FIRST = {"extra_forbidden": 0, "missing": 1}  # an unknown name is the likeliest bug


def refusal_of_validation(errors: list[dict[str, Any]]) -> Refusal:
    """The first of ninja's validation errors (unknown parameters, then missing ones, then
    the rest) as a refusal naming its parameter."""
    error = min(errors, key=lambda e: _FIRST.get(str(e.get("type")), 2))
    source, *location = list(error.get("loc", ()))
    if source == "header":  # the one header an operation declares
        return IdempotencyKeyInvalid()
    if source == "body":
        location = location[1:]  # the name of the handler's argument
    param = _param(location)
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return ParameterUnknown(param or "")
    if kind == "missing":
        return ParameterMissing(param or "")
    if param is None:
        return BodyNotObject()
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return ParameterInvalid(param, message[:1].lower() + message[1:])


# --- authentication -----------------------------------------------------------------------


class SecretKey(HttpBearer):
    """``Authorization: Bearer sk_test_…``: the platform and mode of the key, or 401; then
    the key's rate limit (429)."""

    def __call__(self, request: HttpRequest) -> services.Caller:
        caller = services.authenticate(request.headers.get("Authorization"))
        services.admit(caller)
        return caller

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover
        raise NotImplementedError  # __call__ does it all


api = NinjaAPI(
    title="zhifu merchant API",
    version="1",
    description="Create payments, capture, cancel and refund them. Guide: docs/api.md.",
    urls_namespace="merchants-api",
    auth=SecretKey(),
    parser=StrictJson(),
    # Swagger UI from the wheel's static files; no validator badge (it would call out).
    docs=Swagger(settings={"persistAuthorization": False, "validatorUrl": None}),
)


@api.exception_handler(Refusal)
def _on_refusal(request: HttpRequest, exc: Refusal) -> HttpResponse:
    return refused(exc)


@api.exception_handler(ValidationError)
def _on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return refused(refusal_of_validation(exc.errors))


@api.exception_handler(AuthenticationError)
def _on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return refused(AuthenticationRequired())


@api.exception_handler(HttpError)
def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, Refusal):  # the parser's InvalidJson, wrapped by ninja
        return refused(exc.__cause__)
    if exc.status_code == 400:
        return refused(InvalidJson())
    log.error("unexpected HttpError %s from ninja: %s", exc.status_code, exc)
    return refused(ApiError())


@api.exception_handler(Http404)
def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return refused(ResourceNotFound())


@api.exception_handler(Exception)
def _on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return refused(RequestTooLarge(MAX_BODY_BYTES))
    log.exception("merchant API: unexpected error on %s %s", request.method, request.path)
    return refused(ApiError())


# --- every endpoint's statuses (declared in the OpenAPI document) ----------------------------

_COMMON = {400, 401, 413, 429, 500}


def _errors(*statuses: int) -> dict[int, type[ErrorOut]]:
    return dict.fromkeys(sorted(_COMMON | set(statuses)), ErrorOut)


Reply = tuple[int, dict[str, Any]]
IdempotencyKey = Header(
    None,
    alias="Idempotency-Key",
    description="Any unique string of yours, 1-255 printable ASCII characters: a retry with "
    "the same key and body gets the first answer again, never a second payment.",
    min_length=1,
    max_length=domain.IDEMPOTENCY_KEY_MAX,
    pattern=domain.IDEMPOTENCY_KEY_PATTERN,
)


def _caller(request: HttpRequest) -> services.Caller:
    caller = request.auth  # type: ignore[attr-defined]
    assert isinstance(caller, services.Caller)
    return caller


def _post(
    request: HttpRequest,
    key: str | None,
    body: Request,
    operation: Callable[[], Reply],
    *,
    atomic: bool,
) -> HttpResponse:
    fingerprint = domain.request_fingerprint(
        request.method or "POST", request.path, body.model_dump(mode="json")
    )
    outcome = services.idempotent(
        _caller(request), key, fingerprint, operation, render=envelope, atomic=atomic
    )
    response = _json(outcome.response.status, outcome.response.body)
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def _id(value: str) -> str:
    """A path id as the use cases take it; one no row can have is simply not found."""
    try:
        clean_text(value)
    except ValueError:
        return ""
    return value


# --- payments -------------------------------------------------------------------------------


@api.post(
    "/payments",
    response={201: PaymentOut, **_errors(409, 422)},
    summary="Create a payment",
    tags=["payments"],
)
def create_payment(
    request: HttpRequest, payload: PaymentCreate, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    caller = _caller(request)

    def operation() -> Reply:
        payment = payments.create_payment(
            caller.platform,
            amount=_money(payload.amount, payload.currency),
            order_reference=payload.order_reference,
            description=payload.description,
            buyer_reference=payload.buyer_reference,
            return_url=payload.return_url,
            capture_method=CaptureMethod(payload.capture_method),
            metadata=payload.metadata,
            livemode=caller.livemode,
        )
        return 201, payments_domain.payment_object(payment)

    # No network call: the payment and the stored answer commit together.
    return _post(request, idempotency_key, payload, operation, atomic=True)


def _money(amount: int, currency: str) -> Money:
    try:
        return Money(amount, currency)
    except (MoneyError, UnknownCurrency):  # not a currency at all: as one not enabled
        raise CurrencyUnsupported(param="currency") from None


class PaymentFilters(Request):
    limit: int = Field(default=20, description="1 to 100.", json_schema_extra={"maximum": 100})
    starting_after: StrictStr | None = Field(
        default=None, description="The last id of the previous page."
    )
    status: PaymentStatusName | None = None
    created_gte: Instant | None = Field(default=None, description="Created at or after.")
    created_lt: Instant | None = Field(default=None, description="Created before.")
    order_reference: StrictStr | None = None


@api.get(
    "/payments",
    response={200: PaymentList, **_errors()},
    summary="List payments, newest first",
    tags=["payments"],
)
def list_payments(request: HttpRequest, filters: Query[PaymentFilters]) -> HttpResponse:
    _only_known(request, PaymentFilters)
    caller = _caller(request)
    page = payments.list_payments(
        caller.platform,
        status=PaymentStatus(filters.status) if filters.status else None,
        created_gte=filters.created_gte,
        created_lt=filters.created_lt,
        order_reference=filters.order_reference,
        limit=filters.limit,
        starting_after=filters.starting_after,
        livemode=caller.livemode,
    )
    return _json(
        200,
        {
            "object": "list",
            "url": request.path,
            "has_more": page.has_more,
            "data": [payments_domain.payment_object(p) for p in page.items],
        },
    )


def _only_known(request: HttpRequest, filters: type[Request]) -> None:
    """ninja reads only the names a query schema declares: refuse the others, as bodies do."""
    for name in request.GET:
        if name not in filters.model_fields:
            raise ParameterUnknown(name)


@api.get(
    "/payments/{payment_id}",
    response={200: PaymentOut, **_errors(404)},
    summary="Retrieve a payment",
    tags=["payments"],
)
def get_payment(request: HttpRequest, payment_id: str) -> HttpResponse:
    caller = _caller(request)
    payment = payments.get_payment(caller.platform, _id(payment_id), livemode=caller.livemode)
    return _json(200, payments_domain.payment_object(payment))


@api.post(
    "/payments/{payment_id}/capture",
    response={200: PaymentOut, **_errors(404, 409, 422, 503)},
    summary="Capture an authorized payment (all of it or part, once)",
    tags=["payments"],
)
def capture_payment(
    request: HttpRequest,
    payment_id: str,
    payload: Body[CaptureIn | None] = None,
    idempotency_key: str | None = IdempotencyKey,
) -> HttpResponse:
    caller = _caller(request)
    capture = payload or CaptureIn()

    def operation() -> Reply:
        payment = payments.capture_payment(
            caller.platform, _id(payment_id), amount=capture.amount, livemode=caller.livemode
        )
        return 200, payments_domain.payment_object(payment)

    # The capture records its network call before making it: not one transaction.
    return _post(request, idempotency_key, capture, operation, atomic=False)


@api.post(
    "/payments/{payment_id}/cancel",
    response={200: PaymentOut, **_errors(404, 409, 422, 503)},
    summary="Cancel a payment not yet captured",
    tags=["payments"],
)
def cancel_payment(
    request: HttpRequest,
    payment_id: str,
    payload: Body[CancelIn | None] = None,
    idempotency_key: str | None = IdempotencyKey,
) -> HttpResponse:
    caller = _caller(request)

    def operation() -> Reply:
        payment = payments.cancel_payment(
            caller.platform, _id(payment_id), livemode=caller.livemode
        )
        return 200, payments_domain.payment_object(payment)

    return _post(request, idempotency_key, payload or CancelIn(), operation, atomic=False)


# --- refunds --------------------------------------------------------------------------------


@api.post(
    "/refunds",
    response={201: RefundOut, **_errors(404, 409, 422, 503)},
    summary="Refund a captured payment (all or part; several times up to what was captured)",
    tags=["refunds"],
)
def create_refund(
    request: HttpRequest, payload: RefundCreate, idempotency_key: str | None = IdempotencyKey
) -> HttpResponse:
    caller = _caller(request)

    def operation() -> Reply:
        refund = payments.create_refund(
            caller.platform,
            payment_id=_id(payload.payment),
            amount=payload.amount,
            reason=payload.reason,
            metadata=payload.metadata,
            livemode=caller.livemode,
        )
        return 201, payments_domain.refund_object(refund)

    return _post(request, idempotency_key, payload, operation, atomic=False)


class RefundFilters(Request):
    limit: int = Field(default=20, description="1 to 100.", json_schema_extra={"maximum": 100})
    starting_after: StrictStr | None = Field(
        default=None, description="The last id of the previous page."
    )
    payment: StrictStr | None = Field(default=None, description="Only this payment's refunds.")


@api.get(
    "/refunds",
    response={200: RefundList, **_errors()},
    summary="List refunds, newest first",
    tags=["refunds"],
)
def list_refunds(request: HttpRequest, filters: Query[RefundFilters]) -> HttpResponse:
    _only_known(request, RefundFilters)
    caller = _caller(request)
    page = payments.list_refunds(
        caller.platform,
        payment_id=filters.payment,
        limit=filters.limit,
        starting_after=filters.starting_after,
        livemode=caller.livemode,
    )
    return _json(
        200,
        {
            "object": "list",
            "url": request.path,
            "has_more": page.has_more,
            "data": [payments_domain.refund_object(r) for r in page.items],
        },
    )


@api.get(
    "/refunds/{refund_id}",
    response={200: RefundOut, **_errors(404)},
    summary="Retrieve a refund",
    tags=["refunds"],
)
def get_refund(request: HttpRequest, refund_id: str) -> HttpResponse:
    caller = _caller(request)
    refund = payments.get_refund(caller.platform, _id(refund_id), livemode=caller.livemode)
    return _json(200, payments_domain.refund_object(refund))


# --- the URL layer around ninja: sizes, 404 and 405 in the envelope --------------------------


def guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap one of ninja's views: refuse an oversized body before anyone parses it, read an
    empty body as ``{}``, answer 405 in the envelope, keep answers out of caches, and let
    buyers whose e-mail is unconfirmed reach the docs page (the e-mail gate is the
    wallet pages' rule, not the API's)."""

    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with translation.override("en"):
            response = _guarded(view, request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    guarded.csrf_exempt = True  # type: ignore[attr-defined]
    guarded.email_gate_exempt = True  # type: ignore[attr-defined]
    return guarded


def _guarded(
    view: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any
) -> HttpResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return refused(RequestTooLarge(MAX_BODY_BYTES))
    if request.method in {"POST", "PUT", "PATCH"}:
        try:
            body = request.body
        except RequestDataTooBig:
            return refused(RequestTooLarge(MAX_BODY_BYTES))
        if len(body) > MAX_BODY_BYTES:
            return refused(RequestTooLarge(MAX_BODY_BYTES))
        if not body.strip():
            request._body = b"{}"  # no body: no parameters
    response = view(request, *args, **kwargs)
    if response.status_code == 405 and "application/json" not in response.get("Content-Type", ""):
        allowed = sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip())
        return refused(MethodNotAllowed(request.method or "", allowed))
    return response


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other path under /api/v1/."""
    response = refused(ResourceNotFound())
    response["Cache-Control"] = "no-store"
    return response


not_found.csrf_exempt = True  # type: ignore[attr-defined]
not_found.email_gate_exempt = True  # type: ignore[attr-defined]


# --- the areas' routers mounted on this API ---------------------------------------------------

api.add_router("", webhooks_api.router(_post, _errors, IdempotencyKey, _only_known))
