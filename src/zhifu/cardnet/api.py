"""cardnet's JSON API for the wallet's connector (docs/test-cards.md, docs/card-network.md).

    POST /api/v1/verifications                      a zero-amount check (stateless)
    POST /api/v1/authorizations                     card, amount, currency (+ return_url)
    POST /api/v1/authorizations/<id>/captures       amount, currency (once, full or partial)
    POST /api/v1/authorizations/<id>/void           {} (only before the capture)
    POST /api/v1/authorizations/<id>/refunds        amount, currency (several, up to captured)
    GET  /api/v1/operations/<idempotency key>       where that operation stands

Every request carries `Authorization: Bearer <ZHIFU_CARDNET_API_KEY>` (compared in constant
time); every POST but a verification an `Idempotency-Key` (1-255 printable ASCII): the same
key gets the first answer again (header `Idempotent-Replayed: true`), the same key with
another request 422 `idempotency_key_reused`. Amounts are integer minor units.

    200 the operation's answer: `status` authorized | challenge | declined | captured |
        voided | refunded, with `decline_code` when declined (a card's reason, or why the
        authorization does not allow the operation)
    400 invalid_json | invalid_request | too_large, 401 unauthorized, 404 not_found,
    405 method_not_allowed, 422 idempotency_key_reused: {"error": {"code", "message", "param"}}

A 4xx answer acted on nothing and is not kept under the key. A challenge (3-D Secure-like)
sends the buyer to challenge_url; after "Confirm" or "Cancel" cardnet redirects to
return_url (which must be on the wallet's address) with `?result=<signed answer>`, signed
with the challenge key (see challenge.py).

The API has its own authentication, so it is exempt from CSRF, which protects
cookie-authenticated forms only. The card number and CVC are used for the decision and
dropped: nothing of them is stored (an authorization keeps the last four digits) or logged.
"""

from __future__ import annotations

import functools
import hmac
import json
import time
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from zhifu.cardnet import challenge, domain, services
from zhifu.cardnet.errors import (
    ApiRefusal,
    InvalidJson,
    InvalidRequest,
    MethodNotAllowed,
    TooLarge,
    Unauthorized,
)
from zhifu.config.site import config
from zhifu.kernel import clock, currencies, ids
from zhifu.kernel.money import Money

log = structlog.get_logger(__name__)

# The no-answer card answers after this long: longer than any sane client timeout.
TIMEOUT_SLEEP_S = 30.0
MAX_BODY = 4096

View = Callable[..., HttpResponse]


def _authorized(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    expected = config().secret("cardnet_api_key").reveal()
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def endpoint(method: str) -> Callable[[View], View]:
    """The method, then the shared key; a refusal becomes its typed JSON error."""

    def wrap(handler: View) -> View:
        @csrf_exempt
        @functools.wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                if request.method != method:
                    raise MethodNotAllowed(method)
                if not _authorized(request):
                    raise Unauthorized()
                return handler(request, **kwargs)
            except ApiRefusal as refusal:
                response = JsonResponse({"error": refusal.as_error()}, status=refusal.http_status)
                if isinstance(refusal, MethodNotAllowed):
                    response["Allow"] = refusal.allowed
                return response

        return view

    return wrap


# --- reading a request ------------------------------------------------------------------


def _body(request: HttpRequest, allowed: frozenset[str]) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise TooLarge()
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidJson() from None
    if not isinstance(body, dict):
        raise InvalidJson("the body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidRequest(f"unknown field {unknown[0]}", param=unknown[0])
    return body


def _key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not domain.valid_key(key):
        raise InvalidRequest(
            "an Idempotency-Key of 1-255 printable ASCII characters is required",
            param="Idempotency-Key",
        )
    return key


def _int(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if type(value) is not int:  # bool is an int subclass: refused
        raise InvalidRequest(f"{name} is missing or has the wrong type", param=name)
    return value


def _str(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name, None if required else "")
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} is missing or has the wrong type", param=name)
    return value


def _card(body: dict[str, Any], *, cvc_required: bool) -> domain.CardInput:
    number, exp_month, exp_year = (
        _str(body, "number"),
        _int(body, "exp_month"),
        _int(body, "exp_year"),
    )
    cvc = _str(body, "cvc") if cvc_required or "cvc" in body else None
    _str(body, "holder_name", required=False)
    return domain.CardInput(number, exp_month, exp_year, cvc)


def _money(body: dict[str, Any]) -> Money:
    amount = _int(body, "amount")
    if not 0 < amount <= domain.MAX_AMOUNT:
        raise InvalidRequest(f"amount must be 1 to {domain.MAX_AMOUNT} minor units", param="amount")
    try:
        return Money(amount, currencies.validate(body.get("currency")))
    except currencies.UnknownCurrency:
        raise InvalidRequest("currency is not an ISO 4217 code", param="currency") from None


def _return_url(body: dict[str, Any]) -> str:
    url = _str(body, "return_url", required=False)
    if url and not challenge.allowed_return(url):
        raise InvalidRequest("return_url must be on the wallet's address", param="return_url")
    return url


def _answer(answer: services.Answer) -> JsonResponse:
    response = JsonResponse(answer.body)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


CARD_FIELDS = frozenset(
    {"number", "exp_month", "exp_year", "cvc", "holder_name", "return_url", "merchant"}
)
MERCHANT_MAX = 60


def _merchant(body: dict[str, Any]) -> str:
    """Who asks (the challenge page names it): optional, printable, at most 60 characters."""
    name = _str(body, "merchant", required=False).strip()
    if len(name) > MERCHANT_MAX or not name.isprintable():
        raise InvalidRequest(
            f"merchant must be printable and at most {MERCHANT_MAX} characters", param="merchant"
        )
    return name


MONEY_FIELDS = frozenset({"amount", "currency"})


# --- the endpoints ----------------------------------------------------------------------


@endpoint("POST")
def verifications(request: HttpRequest) -> HttpResponse:
    """Zero-amount and stateless: answering a repeated key afresh acts on nothing twice."""
    body = _body(request, CARD_FIELDS)
    card = _card(body, cvc_required=True)
    return_url = _return_url(body)
    merchant = _merchant(body)
    decision = domain.decide(card.number, card.exp_month, card.exp_year, card.cvc,
                             clock.now().date())  # fmt: skip
    shown = challenge.Shown(domain.scheme_of(card.number), card.last4, merchant)
    del card, body
    verification_id = ids.new_id("ver")
    challenge_url = None
    if decision.status is domain.Status.CHALLENGE:
        if not return_url:
            raise InvalidRequest("this card needs a return_url", param="return_url")
        challenge_url = challenge.url_for(verification_id, return_url, shown)
    if decision.sleep:
        time.sleep(TIMEOUT_SLEEP_S)  # the test card for "the network does not answer"
    log.info(
        "cardnet.verification",
        id=verification_id,
        status=decision.status.value,
        decline_code=decision.code,
    )
    return JsonResponse(
        {
            "id": verification_id,
            "status": decision.status.value,
            "decline_code": decision.code,
            "challenge_url": challenge_url,
        }
    )


@endpoint("POST")
def authorizations(request: HttpRequest) -> HttpResponse:
    key = _key(request)
    body = _body(request, CARD_FIELDS | MONEY_FIELDS)
    answer = services.authorize(
        key=key,
        request_fingerprint=services.fingerprint("POST", request.path, body),
        card=_card(body, cvc_required=False),
        amount=_money(body),
        return_url=_return_url(body),
        merchant=_merchant(body),
    )
    del body
    if answer.sleep:
        # The no-answer card: the authorization is committed; the wallet's read timeout
        # fires first, and its later status call finds it authorized.
        time.sleep(TIMEOUT_SLEEP_S)
    return _answer(answer)


def _money_operation(
    request: HttpRequest, authorization_id: str, use_case: Callable[..., services.Answer]
) -> HttpResponse:
    key, body = _key(request), _body(request, MONEY_FIELDS)
    return _answer(
        use_case(
            key=key,
            request_fingerprint=services.fingerprint("POST", request.path, body),
            authorization_id=authorization_id,
            amount=_money(body),
        )
    )


@endpoint("POST")
def captures(request: HttpRequest, authorization_id: str) -> HttpResponse:
    return _money_operation(request, authorization_id, services.capture)


@endpoint("POST")
def refunds(request: HttpRequest, authorization_id: str) -> HttpResponse:
    return _money_operation(request, authorization_id, services.refund)


@endpoint("POST")
def void(request: HttpRequest, authorization_id: str) -> HttpResponse:
    key, body = _key(request), _body(request, frozenset())
    return _answer(
        services.void(
            key=key,
            request_fingerprint=services.fingerprint("POST", request.path, body),
            authorization_id=authorization_id,
        )
    )


@endpoint("GET")
def operation(request: HttpRequest, key: str) -> HttpResponse:
    return JsonResponse(services.operation(key))
