"""cardnet's wire format: request builders, response parsers, the status table.

Kept apart from the connector (as Hyperswitch keeps ``transformers`` apart from each
connector) so the format can be read, and tested against recorded JSON fixtures
(``tests/fixtures/cardnet/``), without a transport. docs/card-network.md documents it.

Every request is JSON with ``Authorization: Bearer <api key>`` and ``Idempotency-Key``.
Every status cardnet may send is in :data:`STATUS`; a status outside it, or one a flow
cannot answer, is :class:`OutcomeUnknown`: never read as success, never as a decline.
An unknown *decline code* is still a decline (``DeclineCode.OTHER``).

cardnet answers every flow in this format (src/zhifu/cardnet/api.py); the fixtures are its
real answers (tests/cardnet/payments/test_cassettes.py checks them against the site), but
for ``capture_pending``: cardnet never answers "pending", an acquirer behind this format may.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from zhifu.connectors.base import (
    AuthorizeRequest,
    AuthorizeResult,
    CaptureRequest,
    CaptureResult,
    CardDetails,
    ChallengeInvalid,
    DeclineCode,
    Flow,
    NetworkStatus,
    NetworkUnavailable,
    OutcomeUnknown,
    RefundRequest,
    RefundResult,
    Refused,
    StatusRequest,
    StatusResult,
    VerifyRequest,
    VerifyResult,
    VoidRequest,
    VoidResult,
)
from zhifu.kernel import http, signing
from zhifu.kernel.currencies import UnknownCurrency
from zhifu.kernel.money import Money, MoneyError

VERIFICATIONS = "/api/v1/verifications"
AUTHORIZATIONS = "/api/v1/authorizations"
OPERATIONS = "/api/v1/operations"

# cardnet signs the challenge answer the buyer carries back under this salt (its own
# constant of the same value: the sites import nothing of each other; a test compares).
CHALLENGE_RESULT_SALT = "zhifu.cardnet.challenge-result"
CHALLENGE_MAX_AGE_S = 15 * 60


class RemoteStatus(enum.Enum):
    """Every value of ``status`` cardnet sends."""

    APPROVED = "approved"
    DECLINED = "declined"
    CHALLENGE = "challenge"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"
    PENDING = "pending"


STATUS: dict[RemoteStatus, NetworkStatus] = {
    RemoteStatus.APPROVED: NetworkStatus.APPROVED,
    RemoteStatus.DECLINED: NetworkStatus.DECLINED,
    RemoteStatus.CHALLENGE: NetworkStatus.CHALLENGE,
    RemoteStatus.AUTHORIZED: NetworkStatus.AUTHORIZED,
    RemoteStatus.CAPTURED: NetworkStatus.CAPTURED,
    RemoteStatus.VOIDED: NetworkStatus.VOIDED,
    RemoteStatus.REFUNDED: NetworkStatus.REFUNDED,
    RemoteStatus.PENDING: NetworkStatus.PENDING,
}
# Exhaustive by construction: a status added to the enum without a mapping fails at import.
if set(STATUS) != set(RemoteStatus):
    raise AssertionError(f"unmapped card-network statuses: {set(RemoteStatus) - set(STATUS)}")

# What each flow may answer besides "declined" (which raises Refused).
ANSWERS: dict[Flow, frozenset[NetworkStatus]] = {
    Flow.VERIFY: frozenset({NetworkStatus.APPROVED, NetworkStatus.CHALLENGE}),
    Flow.AUTHORIZE: frozenset(
        {NetworkStatus.AUTHORIZED, NetworkStatus.CHALLENGE, NetworkStatus.PENDING}
    ),
    Flow.CAPTURE: frozenset({NetworkStatus.CAPTURED, NetworkStatus.PENDING}),
    Flow.VOID: frozenset({NetworkStatus.VOIDED, NetworkStatus.PENDING}),
    Flow.REFUND: frozenset({NetworkStatus.REFUNDED, NetworkStatus.PENDING}),
}


# --- builders ---------------------------------------------------------------------------


def _headers(api_key: str, idempotency_key: str) -> dict[str, str]:
    if not idempotency_key:
        raise ValueError("every card-network request needs an idempotency key")
    return {
        "Authorization": f"Bearer {api_key}",
        "Idempotency-Key": idempotency_key,
        "Accept": "application/json",
    }


def _card(card: CardDetails) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": card.number,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "holder_name": card.holder_name,
    }
    if card.cvc:
        body["cvc"] = card.cvc
    return body


def _money(amount: Money) -> dict[str, Any]:
    return {"amount": amount.minor, "currency": amount.currency}


MERCHANT_MAX = 60  # cardnet's limit on the name its challenge page shows


def _segment(value: str) -> str:
    if not value:
        raise ValueError("an empty reference")
    return quote(value, safe="")


def verify_request(base_url: str, api_key: str, request: VerifyRequest) -> http.Request:
    body = _card(request.card)
    if request.return_url:
        body["return_url"] = request.return_url
    if request.merchant:
        body["merchant"] = request.merchant[:MERCHANT_MAX]
    return http.Request.json(
        "POST", base_url + VERIFICATIONS, body, _headers(api_key, request.idempotency_key)
    )


def authorize_request(base_url: str, api_key: str, request: AuthorizeRequest) -> http.Request:
    body = {**_card(request.card), **_money(request.amount)}
    if request.return_url:
        body["return_url"] = request.return_url
    if request.merchant:
        body["merchant"] = request.merchant[:MERCHANT_MAX]
    return http.Request.json(
        "POST", base_url + AUTHORIZATIONS, body, _headers(api_key, request.idempotency_key)
    )


def capture_request(base_url: str, api_key: str, request: CaptureRequest) -> http.Request:
    url = f"{base_url}{AUTHORIZATIONS}/{_segment(request.authorization)}/captures"
    return http.Request.json(
        "POST", url, _money(request.amount), _headers(api_key, request.idempotency_key)
    )


def void_request(base_url: str, api_key: str, request: VoidRequest) -> http.Request:
    url = f"{base_url}{AUTHORIZATIONS}/{_segment(request.authorization)}/void"
    return http.Request.json("POST", url, {}, _headers(api_key, request.idempotency_key))


def refund_request(base_url: str, api_key: str, request: RefundRequest) -> http.Request:
    url = f"{base_url}{AUTHORIZATIONS}/{_segment(request.authorization)}/refunds"
    return http.Request.json(
        "POST", url, _money(request.amount), _headers(api_key, request.idempotency_key)
    )


def status_request(base_url: str, api_key: str, request: StatusRequest) -> http.Request:
    url = f"{base_url}{OPERATIONS}/{_segment(request.idempotency_key)}"
    return http.Request("GET", url, _headers(api_key, request.idempotency_key))


# --- parsers ----------------------------------------------------------------------------


def document(response: http.Response) -> Mapping[str, Any]:
    """The JSON object of a 2xx answer, or the error its status code means.

    A 4xx is the network turning the request away unread (bad request, wrong key, unknown
    reference, too many requests): NetworkUnavailable, nothing happened. A 408, 409 (the
    same key still in flight), 3xx or 5xx, or an unreadable body: OutcomeUnknown.
    """
    status = response.status_code
    if 400 <= status < 500 and status not in (408, 409):
        raise NetworkUnavailable(
            f"the card network turned the request away (HTTP {status})",
            status_code=status,
            error=_error_code(response),
        )
    if not 200 <= status < 300:
        raise OutcomeUnknown(f"the card network answered HTTP {status}", status_code=status)
    try:
        data = response.json()
    except ValueError:
        raise OutcomeUnknown("the card network answered something that is not JSON") from None
    if not isinstance(data, dict):
        raise OutcomeUnknown("the card network answered an unexpected document")
    return data


def _error_code(response: http.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    return str(error.get("code") or "") if isinstance(error, dict) else ""


def status_of(value: object) -> NetworkStatus:
    """The wallet's status for cardnet's. An unknown value is an error, never a default."""
    try:
        return STATUS[RemoteStatus(value)]
    except ValueError:
        raise OutcomeUnknown(f"unknown card-network status {value!r}") from None


def decline_of(value: object) -> DeclineCode:
    try:
        return DeclineCode(value)
    except ValueError:
        return DeclineCode.OTHER


def _answer(data: Mapping[str, Any], flow: Flow) -> tuple[NetworkStatus, str]:
    status = status_of(data.get("status"))
    reference = str(data.get("id") or "")
    if status is NetworkStatus.DECLINED:
        raise Refused(decline_of(data.get("decline_code")), reference)
    if status not in ANSWERS[flow]:
        raise OutcomeUnknown(f"a {flow.value} cannot be {status.value}")
    return status, reference


def _amount(data: Mapping[str, Any]) -> Money:
    minor, currency = data.get("amount"), data.get("currency")
    if type(minor) is not int or not isinstance(currency, str):
        raise OutcomeUnknown("the card network's answer has no amount")
    try:
        return Money(minor, currency)
    except (MoneyError, UnknownCurrency):
        raise OutcomeUnknown("the card network's answer has an unusable amount") from None


def _challenge_url(data: Mapping[str, Any], base_url: str) -> str:
    url = str(data.get("challenge_url") or "")
    if not url.startswith(base_url + "/"):
        # The buyer is only ever sent to the network the wallet is configured to talk to.
        raise OutcomeUnknown("the card network asked for a challenge elsewhere")
    return url


def parse_verify(response: http.Response, base_url: str) -> VerifyResult:
    data = document(response)
    status, reference = _answer(data, Flow.VERIFY)
    challenge = _challenge_url(data, base_url) if status is NetworkStatus.CHALLENGE else ""
    return VerifyResult(status, reference, challenge)


def parse_authorize(response: http.Response, base_url: str) -> AuthorizeResult:
    data = document(response)
    status, reference = _answer(data, Flow.AUTHORIZE)
    challenge = _challenge_url(data, base_url) if status is NetworkStatus.CHALLENGE else ""
    return AuthorizeResult(status, reference, _amount(data), challenge)


def parse_capture(response: http.Response, authorization: str) -> CaptureResult:
    data = document(response)
    status, reference = _answer(data, Flow.CAPTURE)
    _same_authorization(data, authorization)
    return CaptureResult(status, reference, authorization, _amount(data))


def parse_void(response: http.Response, authorization: str) -> VoidResult:
    data = document(response)
    status, _ = _answer(data, Flow.VOID)
    _same_authorization(data, authorization)
    return VoidResult(status, authorization)


def parse_refund(response: http.Response, authorization: str) -> RefundResult:
    data = document(response)
    status, reference = _answer(data, Flow.REFUND)
    _same_authorization(data, authorization)
    return RefundResult(status, reference, authorization, _amount(data))


def parse_status(response: http.Response) -> StatusResult:
    data = document(response)
    try:
        flow = Flow(data.get("flow"))
    except ValueError:
        raise OutcomeUnknown(f"unknown card-network flow {data.get('flow')!r}") from None
    status = status_of(data.get("status"))
    if status is not NetworkStatus.DECLINED and status not in ANSWERS[flow]:
        raise OutcomeUnknown(f"a {flow.value} cannot be {status.value}")
    return StatusResult(
        flow=flow,
        status=status,
        reference=str(data.get("id") or ""),
        amount=_amount(data) if "amount" in data else None,
        decline_code=(
            decline_of(data.get("decline_code")) if status is NetworkStatus.DECLINED else None
        ),
    )


def _same_authorization(data: Mapping[str, Any], authorization: str) -> None:
    if data.get("authorization") != authorization:
        raise OutcomeUnknown("the card network answered for another authorization")


# --- the challenge answer ---------------------------------------------------------------


def sign_challenge_answer(signer: signing.Signer, reference: str, approved: bool) -> str:
    """The answer cardnet gives the buyer to carry back (for tests and the fake's use)."""
    return signer.dumps({"id": reference, "result": "approved" if approved else "declined"})


def parse_challenge_answer(signer: signing.Signer, reference: str, answer: str) -> VerifyResult:
    """Check cardnet's signed answer (no network call: the buyer brought it back)."""
    try:
        data = signer.loads(answer, max_age=CHALLENGE_MAX_AGE_S)
    except signing.BadSignature:  # includes SignatureExpired
        raise ChallengeInvalid("the challenge answer is forged or expired") from None
    if not isinstance(data, dict) or data.get("id") != reference:
        raise ChallengeInvalid("the challenge answer is for another verification")
    if data.get("result") == "approved":
        return VerifyResult(NetworkStatus.APPROVED, reference)
    raise Refused(DeclineCode.OTHER, reference)
