"""cardnet's use cases: authorize, capture, void, refund, an operation's status, and the
buyer's answer to a challenge. Each owns its transaction.

Every POST is kept under its Idempotency-Key: the first answer is stored with the
operation, in the transaction that acts, and a request with the same key gets it again
without acting (a different request with the key is refused). Two requests racing with one
key meet at the key's unique index: the loser replays the winner's answer.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from django.db import IntegrityError

from zhifu.cardnet import challenge, domain
from zhifu.cardnet.domain import Flow, Status
from zhifu.cardnet.errors import IdempotencyKeyReused, InvalidRequest, NotFound
from zhifu.cardnet.models import Authorization, Operation
from zhifu.config.site import config
from zhifu.db import run_in_transaction, violates_unique_field
from zhifu.kernel import clock, ids
from zhifu.kernel.money import Money

__all__ = [
    "Answer",
    "answer_challenge",
    "authorize",
    "capture",
    "challenge_amount",
    "fingerprint",
    "operation",
    "refund",
    "void",
]

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Answer:
    body: dict[str, Any]
    replayed: bool = False  # the stored answer of an earlier request with the same key
    sleep: bool = False  # the no-answer card: recorded, to be answered too late


def fingerprint(method: str, path: str, body: Any) -> str:
    secret = config().secret("cardnet_secret_key").reveal().encode()
    return domain.fingerprint(secret, method, path, body)


# --- idempotency ------------------------------------------------------------------------


def _replay(found: Operation, request_fingerprint: str) -> Answer:
    if not hmac.compare_digest(found.fingerprint, request_fingerprint):
        raise IdempotencyKeyReused(param="Idempotency-Key")
    return Answer(found.response, replayed=True)


def _once(key: str, request_fingerprint: str, act: Callable[[], Answer]) -> Answer:
    def run() -> Answer:
        found = Operation.objects.filter(key=key).first()
        if found is not None:
            return _replay(found, request_fingerprint)
        return act()

    try:
        return run_in_transaction(run)
    except IntegrityError as exc:
        if not violates_unique_field(exc, Operation, "key"):
            raise
    # Another request with this key committed first: answer as it was answered.
    return _replay(Operation.objects.get(key=key), request_fingerprint)


def _record(
    key: str,
    request_fingerprint: str,
    flow: Flow,
    auth: Authorization,
    body: dict[str, Any],
    amount: Money | None,
) -> None:
    Operation.objects.create(
        key=key,
        flow=flow.value,
        fingerprint=request_fingerprint,
        authorization=auth,
        reference=body["id"],
        status=body["status"],
        decline_code=body.get("decline_code") or "",
        amount=amount.minor if amount else None,
        currency=amount.currency if amount else "",
        response=body,
        created_at=clock.now(),
    )


# --- authorizations ---------------------------------------------------------------------


def _ledger(auth: Authorization) -> domain.Ledger:
    return domain.Ledger(
        Status(auth.status), Money(auth.amount, auth.currency), auth.captured, auth.refunded
    )


def _store(auth: Authorization, ledger: domain.Ledger, decline_code: str | None) -> None:
    auth.status = ledger.status.value
    auth.captured = ledger.captured
    auth.refunded = ledger.refunded
    if ledger.status is Status.DECLINED:
        auth.decline_code = decline_code or ""
    auth.updated_at = clock.now()
    auth.save(update_fields=["status", "captured", "refunded", "decline_code", "updated_at"])


def _settle_challenge(auth: Authorization, outcome: domain.Outcome) -> None:
    """The challenge's answer is the authorize operation's outcome (what status tells)."""
    if outcome.ledger.status is Status(auth.status):
        return
    _store(auth, outcome.ledger, outcome.decline_code)
    _authorize_outcome(auth, outcome.ledger.status, outcome.decline_code)
    log.info("cardnet.challenge", id=auth.id, status=auth.status, decline_code=auth.decline_code)


def _authorize_outcome(auth: Authorization, status: Status, decline_code: str | None) -> None:
    Operation.objects.filter(authorization=auth, flow=Flow.AUTHORIZE.value).update(
        status=status.value, decline_code=decline_code or ""
    )


def _locked(authorization_id: str) -> Authorization:
    """The authorization, locked for this transaction; an open challenge past its time is
    declined first (nobody can answer it any more: the page's token has expired)."""
    auth = Authorization.objects.select_for_update().filter(id=authorization_id).first()
    if auth is None:
        raise NotFound("no such authorization")
    if auth.status == Status.CHALLENGE.value:
        expired = clock.now() - auth.created_at > domain.CHALLENGE_MAX_AGE
        if expired:
            _settle_challenge(auth, domain.answer_challenge(_ledger(auth), False, expired=True))
    return auth


def authorize(
    *,
    key: str,
    request_fingerprint: str,
    card: domain.CardInput,
    amount: Money,
    return_url: str,
    merchant: str = "",
) -> Answer:
    decision = domain.decide_authorization(card, clock.now().date())
    if decision.status is Status.CHALLENGE and not return_url:
        raise InvalidRequest("this card needs a return_url", param="return_url")
    scheme, last4 = domain.scheme_of(card.number), card.last4
    del card

    def act() -> Answer:
        now = clock.now()
        auth = Authorization.objects.create(
            id=ids.new_id("auth"),
            status=decision.status.value,
            amount=amount.minor,
            currency=amount.currency,
            decline_code=decision.code or "",
            scheme=scheme,
            last4=last4,
            created_at=now,
            updated_at=now,
        )
        url = (
            challenge.url_for(auth.id, return_url, challenge.Shown(scheme, last4, merchant))
            if decision.status is Status.CHALLENGE
            else None
        )
        body = {
            "id": auth.id,
            "status": decision.status.value,
            "decline_code": decision.code,
            "amount": amount.minor,
            "currency": amount.currency,
            "challenge_url": url,
        }
        _record(key, request_fingerprint, Flow.AUTHORIZE, auth, body, amount)
        return Answer(body, sleep=decision.sleep)

    answer = _once(key, request_fingerprint, act)
    _log(Flow.AUTHORIZE, answer)
    return answer


def _operate(
    flow: Flow,
    key: str,
    request_fingerprint: str,
    authorization_id: str,
    amount: Money | None,
    decide: Callable[[domain.Ledger], domain.Outcome],
) -> Answer:
    def act() -> Answer:
        auth = _locked(authorization_id)
        if amount is not None and amount.currency != auth.currency:
            raise InvalidRequest(f"the authorization is in {auth.currency}", param="currency")
        before = _ledger(auth)
        outcome = decide(before)
        if not outcome.declined:
            _store(auth, outcome.ledger, None)
        if before.status is Status.CHALLENGE and not outcome.declined:
            # A void before the buyer answered: the authorization never stood.
            _authorize_outcome(auth, Status.DECLINED, domain.OperationDecline.AUTHENTICATION_FAILED)
        done = {Flow.CAPTURE: Status.CAPTURED, Flow.VOID: Status.VOIDED,
                Flow.REFUND: Status.REFUNDED}[flow]  # fmt: skip
        reference = {Flow.CAPTURE: "cap", Flow.REFUND: "ref"}.get(flow)
        body: dict[str, Any] = {
            "id": ids.new_id(reference) if reference else auth.id,
            "authorization": auth.id,
            "status": Status.DECLINED.value if outcome.declined else done.value,
        }
        if outcome.declined:
            body["decline_code"] = outcome.decline_code
        if amount is not None:
            body |= {"amount": amount.minor, "currency": amount.currency}
        _record(key, request_fingerprint, flow, auth, body, amount)
        return Answer(body)

    answer = _once(key, request_fingerprint, act)
    _log(flow, answer)
    return answer


def capture(*, key: str, request_fingerprint: str, authorization_id: str, amount: Money) -> Answer:
    """One capture per authorization, full or partial; the uncaptured rest is released."""
    return _operate(
        Flow.CAPTURE,
        key,
        request_fingerprint,
        authorization_id,
        amount,
        lambda ledger: domain.capture(ledger, amount.minor),
    )


def void(*, key: str, request_fingerprint: str, authorization_id: str) -> Answer:
    return _operate(Flow.VOID, key, request_fingerprint, authorization_id, None, domain.void)


def refund(*, key: str, request_fingerprint: str, authorization_id: str, amount: Money) -> Answer:
    return _operate(
        Flow.REFUND,
        key,
        request_fingerprint,
        authorization_id,
        amount,
        lambda ledger: domain.refund(ledger, amount.minor),
    )


def _log(flow: Flow, answer: Answer) -> None:
    body = answer.body
    log.info(
        f"cardnet.{flow.value}",
        id=body["id"],
        status=body["status"],
        decline_code=body.get("decline_code"),
        replayed=answer.replayed,
    )


# --- status -----------------------------------------------------------------------------


def operation(key: str) -> dict[str, Any]:
    """Where the operation sent under ``key`` stands: its outcome now (an authorization
    under challenge: the buyer's answer, once given)."""

    def run() -> dict[str, Any]:
        found = Operation.objects.filter(key=key).first()
        if found is None:
            raise NotFound("no operation under this key")
        if found.flow == Flow.AUTHORIZE.value and found.status == Status.CHALLENGE.value:
            _locked(found.authorization_id)  # declines a challenge past its time
            found.refresh_from_db()
        body: dict[str, Any] = {"flow": found.flow, "id": found.reference, "status": found.status}
        if found.status == Status.DECLINED.value:
            body["decline_code"] = found.decline_code
        if found.amount is not None:
            body |= {"amount": found.amount, "currency": found.currency}
        return body

    return run_in_transaction(run)


# --- the challenge page -----------------------------------------------------------------


def challenge_amount(authorization_id: str) -> Money:
    """What the buyer is asked to confirm."""
    auth = Authorization.objects.filter(id=authorization_id).first()
    if auth is None:
        raise NotFound("no such authorization")
    return Money(auth.amount, auth.currency)


def answer_challenge(authorization_id: str, confirmed: bool) -> bool:
    """Record the buyer's answer; whether the authorization stands (a challenge already
    answered, or expired, keeps its outcome whatever is clicked now)."""

    def run() -> bool:
        auth = _locked(authorization_id)
        _settle_challenge(auth, domain.answer_challenge(_ledger(auth), confirmed, expired=False))
        outcome = Operation.objects.get(authorization=auth, flow=Flow.AUTHORIZE.value)
        return outcome.status == Status.AUTHORIZED.value

    return run_in_transaction(run)
