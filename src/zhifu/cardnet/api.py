"""cardnet's JSON API: zero-amount card verifications for the wallet's connector.

    POST /api/v1/verifications
    Authorization: Bearer <ZHIFU_CARDNET_API_KEY>
    {"number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123",
     "holder_name": "ANNA IVANOVA", "return_url": "https://wallet.example/cards/challenge/x/"}

    200 {"id": "ver_...", "status": "approved" | "declined" | "challenge",
         "decline_code": null | "insufficient_funds" | "do_not_honour" | "expired_card"
                         | "stolen_card" | "incorrect_cvc" | "invalid_number",
         "challenge_url": null | "https://cardnet.example/challenge/<signed>/"}

A challenge (3-D Secure-like) sends the buyer to challenge_url; after "Confirm" or "Cancel"
cardnet redirects to return_url (which must be on the wallet's address) with
`?result=<signed answer>`, signed with the challenge key (see challenge.py).
    400 / 401 / 405 {"error": {"code": "...", "message": "...", "param": "..."}}

The wallet sends an `Idempotency-Key` with every request; a verification is stateless and
zero-amount, so answering a repeated key afresh acts on nothing twice.

The API has its own authentication (a shared key compared in constant time), so it is
exempt from CSRF, which protects cookie-authenticated forms only. The card number and CVC
are used for the decision and dropped: nothing is stored or logged.
"""

from __future__ import annotations

import hmac
import json
import time
from typing import Any

import structlog
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from zhifu.cardnet import challenge, domain
from zhifu.config.site import config
from zhifu.kernel import clock, ids

log = structlog.get_logger(__name__)

# The timeout card answers after this long: longer than any sane client timeout.
TIMEOUT_SLEEP_S = 30.0
MAX_BODY = 4096


def _error(status: int, code: str, message: str, param: str | None = None) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": code, "message": message, "param": param}}, status=status
    )


def _authorized(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    expected = config().secret("cardnet_api_key").reveal()
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def _int(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    return value if type(value) is int else None


@csrf_exempt
def verifications(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "use POST")
        response["Allow"] = "POST"
        return response
    if not _authorized(request):
        return _error(401, "unauthorized", "missing or wrong API key")
    if len(request.body) > MAX_BODY:
        return _error(400, "too_large", "request body too large")
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid_json", "the body is not JSON")
    if not isinstance(body, dict):
        return _error(400, "invalid_json", "the body must be a JSON object")
    number, cvc = body.get("number"), body.get("cvc")
    exp_month, exp_year = _int(body, "exp_month"), _int(body, "exp_year")
    for name, ok in (
        ("number", isinstance(number, str)),
        ("exp_month", exp_month is not None),
        ("exp_year", exp_year is not None),
        ("cvc", isinstance(cvc, str)),
    ):
        if not ok:
            return _error(400, "invalid_request", f"{name} is missing or has the wrong type", name)
    assert isinstance(number, str)
    assert isinstance(cvc, str)
    assert exp_month is not None
    assert exp_year is not None
    return_url = body.get("return_url") or ""
    if not isinstance(return_url, str) or (return_url and not challenge.allowed_return(return_url)):
        return _error(400, "invalid_request", "return_url must be on the wallet's address",
                      "return_url")  # fmt: skip
    decision = domain.decide(number, exp_month, exp_year, cvc, clock.now().date())
    del number, cvc, body
    verification_id = ids.new_id("ver")
    challenge_url = None
    if decision.status is domain.Status.CHALLENGE:
        if not return_url:
            return _error(400, "invalid_request", "this card needs a return_url", "return_url")
        challenge_url = challenge.url_for(verification_id, return_url)
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
