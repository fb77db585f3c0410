"""The simulator's rules, free of Django: the documented test cards and what each answers,
and what an authorization allows (captures, voids, refunds).

Any other number that passes the Luhn check approves (as do UnionPay numbers without a
Luhn digit); a number that fails it is refused as `invalid_number`. The table is the single
source for the home page, docs/test-cards.md and the tests.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import json
from dataclasses import dataclass, field, replace
from typing import Any

from stdnum import luhn

from zhifu.kernel.money import Money


class Status(enum.Enum):
    """Every ``status`` cardnet sends (the wallet's wire.py maps each; a test checks)."""

    APPROVED = "approved"  # a verification passed
    DECLINED = "declined"
    CHALLENGE = "challenge"  # the buyer must confirm on cardnet's page first
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"


class Flow(enum.Enum):
    """The money-moving operations, each kept under its idempotency key."""

    AUTHORIZE = "authorize"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"


class OperationDecline(enum.StrEnum):
    """Why cardnet declines an operation on an authorization (not a card's answer: the
    wallet reads these as the generic decline ``other``)."""

    CAPTURE_EXCEEDS_AUTHORIZATION = "capture_exceeds_authorization"
    REFUND_EXCEEDS_CAPTURE = "refund_exceeds_capture"
    NOT_CAPTURABLE = "authorization_not_capturable"
    NOT_VOIDABLE = "authorization_not_voidable"
    AUTHENTICATION_FAILED = "authentication_failed"  # the buyer cancelled the challenge
    AUTHENTICATION_EXPIRED = "authentication_expired"  # nobody answered it in time


class Behaviour(enum.Enum):
    APPROVE = "approve"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    DO_NOT_HONOUR = "do_not_honour"
    EXPIRED_CARD = "expired_card"
    STOLEN_CARD = "stolen_card"
    INCORRECT_CVC = "incorrect_cvc"
    TIMEOUT = "timeout"
    CHALLENGE = "challenge"


DECLINE_CODES = {
    Behaviour.INSUFFICIENT_FUNDS,
    Behaviour.DO_NOT_HONOUR,
    Behaviour.EXPIRED_CARD,
    Behaviour.STOLEN_CARD,
    Behaviour.INCORRECT_CVC,
}


@dataclass(frozen=True)
class TestCard:
    number: str
    scheme: str
    behaviour: Behaviour

    @property
    def grouped(self) -> str:
        n = self.number
        if len(n) == 15 or len(n) == 14:
            return f"{n[:4]} {n[4:10]} {n[10:]}"
        return " ".join(n[i : i + 4] for i in range(0, len(n), 4))


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("4242424242424242", "Visa", Behaviour.APPROVE),
    TestCard("5555555555554444", "Mastercard", Behaviour.APPROVE),
    TestCard("2223003122003222", "Mastercard (2-series)", Behaviour.APPROVE),
    TestCard("378282246310005", "American Express", Behaviour.APPROVE),
    TestCard("6200000000000005", "UnionPay", Behaviour.APPROVE),
    TestCard("6212345678901234", "UnionPay (no Luhn digit)", Behaviour.APPROVE),
    TestCard("3566002020360505", "JCB", Behaviour.APPROVE),
    TestCard("2200000000000004", "Mir", Behaviour.APPROVE),
    TestCard("6759649826438453", "Maestro", Behaviour.APPROVE),
    TestCard("6011111111111117", "Discover", Behaviour.APPROVE),
    TestCard("36227206271667", "Diners Club", Behaviour.APPROVE),
    TestCard("5067660000000000", "Elo", Behaviour.APPROVE),
    TestCard("6062820000000003", "Hipercard", Behaviour.APPROVE),
    TestCard("6521500000000006", "RuPay", Behaviour.APPROVE),
    TestCard("9792000000000003", "Troy", Behaviour.APPROVE),
    TestCard("4000000000009995", "Visa", Behaviour.INSUFFICIENT_FUNDS),
    TestCard("4000000000000002", "Visa", Behaviour.DO_NOT_HONOUR),
    TestCard("4000000000000069", "Visa", Behaviour.EXPIRED_CARD),
    TestCard("4000000000009979", "Visa", Behaviour.STOLEN_CARD),
    TestCard("4000000000000127", "Visa", Behaviour.INCORRECT_CVC),
    TestCard("4000000000000036", "Visa", Behaviour.TIMEOUT),
    TestCard("4000000000003220", "Visa", Behaviour.CHALLENGE),
)
_BY_NUMBER = {c.number: c for c in TEST_CARDS}


@dataclass(frozen=True)
class Decision:
    status: Status
    code: str | None = None  # the decline code when declined
    sleep: bool = False  # the timeout card: answer nothing in time


def decide(number: str, exp_month: int, exp_year: int, cvc: str | None, today: dt.date) -> Decision:
    """What the network answers to a (zero-amount) verification of this card. ``cvc`` is
    None when none was sent (an authorization with a card the wallet keeps: the buyer's
    payment password stood in for it); a CVC sent must be well formed."""
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19):
        return Decision(Status.DECLINED, "invalid_number")
    if not luhn.is_valid(number) and not number.startswith("62"):
        return Decision(Status.DECLINED, "invalid_number")
    if not (1 <= exp_month <= 12) or (exp_year, exp_month) < (today.year, today.month):
        return Decision(Status.DECLINED, Behaviour.EXPIRED_CARD.value)
    if cvc is not None and not (cvc.isascii() and cvc.isdigit() and 3 <= len(cvc) <= 4):
        return Decision(Status.DECLINED, Behaviour.INCORRECT_CVC.value)
    card = _BY_NUMBER.get(number)
    behaviour = card.behaviour if card else Behaviour.APPROVE
    if behaviour is Behaviour.APPROVE:
        return Decision(Status.APPROVED)
    if behaviour is Behaviour.TIMEOUT:
        return Decision(Status.DECLINED, "timeout", sleep=True)
    if behaviour is Behaviour.CHALLENGE:
        return Decision(Status.CHALLENGE)
    return Decision(Status.DECLINED, behaviour.value)


@dataclass(frozen=True)
class CardInput:
    """A card as a request brings it: used for one decision, then dropped."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    cvc: str | None = field(repr=False, default=None)

    @property
    def last4(self) -> str:
        return self.number[-4:] if self.number.isascii() and self.number.isdigit() else ""


def decide_authorization(card: CardInput, today: dt.date) -> Decision:
    """What the network answers to an authorization: the verification's decision, with
    "approved" meaning funds held. The no-answer card is authorized (and recorded) first,
    then answered too late, so only a later status call tells the wallet the truth."""
    decision = decide(card.number, card.exp_month, card.exp_year, card.cvc, today)
    if decision.status is Status.APPROVED:
        return Decision(Status.AUTHORIZED)
    if decision.sleep:
        return Decision(Status.AUTHORIZED, sleep=True)
    return decision


def scheme_of(number: str) -> str:
    """The scheme of a listed test card, else "" (cardnet keeps the scheme and last four
    digits of an authorization at most, never the number)."""
    card = _BY_NUMBER.get(number)
    return card.scheme if card else ""


# --- what an authorization allows -------------------------------------------------------

MAX_AMOUNT = 10**12  # minor units: far above any test payment, far below a bigint
# A challenge not answered within this is declined (the page's token expires with it).
CHALLENGE_MAX_AGE = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Ledger:
    """An authorization's books. One capture (full or partial) closes it: the uncaptured
    rest is released at once, as the wallet's payments expect; refunds may be several,
    never more than captured in total; a void only before the capture."""

    status: Status  # CHALLENGE, AUTHORIZED, DECLINED, VOIDED or CAPTURED
    amount: Money
    captured: int = 0
    refunded: int = 0


@dataclass(frozen=True)
class Outcome:
    """The ledger after an operation, and its decline code when declined (a declined
    capture, void or refund leaves the ledger as it was; a declined challenge closes it)."""

    ledger: Ledger
    decline_code: str | None = None

    @property
    def declined(self) -> bool:
        return self.decline_code is not None


def capture(ledger: Ledger, amount: int) -> Outcome:
    if ledger.status is not Status.AUTHORIZED:
        return Outcome(ledger, OperationDecline.NOT_CAPTURABLE)
    if amount > ledger.amount.minor:
        return Outcome(ledger, OperationDecline.CAPTURE_EXCEEDS_AUTHORIZATION)
    return Outcome(replace(ledger, status=Status.CAPTURED, captured=amount))


def void(ledger: Ledger) -> Outcome:
    # An open challenge may be voided too: the payment gave up before the buyer answered.
    if ledger.status not in (Status.AUTHORIZED, Status.CHALLENGE):
        return Outcome(ledger, OperationDecline.NOT_VOIDABLE)
    return Outcome(replace(ledger, status=Status.VOIDED))


def refund(ledger: Ledger, amount: int) -> Outcome:
    if ledger.status is not Status.CAPTURED or ledger.refunded + amount > ledger.captured:
        return Outcome(ledger, OperationDecline.REFUND_EXCEEDS_CAPTURE)
    return Outcome(replace(ledger, refunded=ledger.refunded + amount))


def answer_challenge(ledger: Ledger, confirmed: bool, *, expired: bool) -> Outcome:
    """The buyer's answer on the challenge page. An answered challenge keeps its first
    answer (a second click cannot turn a decline into an approval)."""
    if ledger.status is not Status.CHALLENGE:
        return Outcome(ledger)
    if expired:
        return Outcome(
            replace(ledger, status=Status.DECLINED), OperationDecline.AUTHENTICATION_EXPIRED
        )
    if not confirmed:
        return Outcome(
            replace(ledger, status=Status.DECLINED), OperationDecline.AUTHENTICATION_FAILED
        )
    return Outcome(replace(ledger, status=Status.AUTHORIZED))


# --- idempotency ------------------------------------------------------------------------

MAX_KEY_LENGTH = 255


def valid_key(key: str) -> bool:
    """An Idempotency-Key: 1-255 printable ASCII characters."""
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def fingerprint(secret: bytes, method: str, path: str, body: Any) -> str:
    """What makes two requests under one key "the same": method, path and body, keyed
    with the site's secret so the stored value says nothing about a card number in it."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    key = hashlib.sha256(b"zhifu.cardnet.fingerprint:" + secret).digest()  # this use's own
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
