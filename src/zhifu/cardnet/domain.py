"""The simulator's rules, free of Django: the documented test cards and what each answers.

Any other number that passes the Luhn check approves (as do UnionPay numbers without a
Luhn digit); a number that fails it is refused as `invalid_number`. The table is the single
source for the home page, docs/test-cards.md and the tests.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from stdnum import luhn


class Status(enum.Enum):
    APPROVED = "approved"
    DECLINED = "declined"
    CHALLENGE = "challenge"


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


def decide(number: str, exp_month: int, exp_year: int, cvc: str, today: dt.date) -> Decision:
    """What the network answers to a (zero-amount) verification of this card."""
    if not (number.isascii() and number.isdigit() and 12 <= len(number) <= 19):
        return Decision(Status.DECLINED, "invalid_number")
    if not luhn.is_valid(number) and not number.startswith("62"):
        return Decision(Status.DECLINED, "invalid_number")
    if not (1 <= exp_month <= 12) or (exp_year, exp_month) < (today.year, today.month):
        return Decision(Status.DECLINED, Behaviour.EXPIRED_CARD.value)
    if not (cvc.isascii() and cvc.isdigit() and 3 <= len(cvc) <= 4):
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
