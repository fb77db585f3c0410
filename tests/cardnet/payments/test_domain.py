"""What an authorization allows (cardnet.domain, pure): whatever the order of captures,
voids, refunds and challenge answers, refunded <= captured <= authorized, one capture at
most, no void after it, and a refusal leaves the books as they were."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from zhifu.cardnet import domain
from zhifu.cardnet.domain import Ledger, OperationDecline, Status
from zhifu.kernel.money import Money

AMOUNT = Money(1000, "EUR")
operations = st.lists(
    st.one_of(
        st.tuples(st.just("capture"), st.integers(1, 1500)),
        st.tuples(st.just("refund"), st.integers(1, 1500)),
        st.tuples(st.just("void"), st.just(0)),
        st.tuples(st.just("answer"), st.booleans()),
    ),
    max_size=12,
)


@given(st.sampled_from([Status.AUTHORIZED, Status.CHALLENGE]), operations)
def test_the_books_never_go_beyond_the_authorization(start: Status, ops: list) -> None:
    ledger = Ledger(start, AMOUNT)
    captures = 0
    for name, value in ops:
        before = ledger
        if name == "capture":
            outcome = domain.capture(ledger, value)
        elif name == "refund":
            outcome = domain.refund(ledger, value)
        elif name == "void":
            outcome = domain.void(ledger)
        else:
            outcome = domain.answer_challenge(ledger, bool(value), expired=False)
        if outcome.declined and name != "answer":
            assert outcome.ledger == before
        if name == "capture" and not outcome.declined:
            captures += 1
            assert before.status is Status.AUTHORIZED
        if name == "void" and not outcome.declined:
            assert before.captured == 0
        ledger = outcome.ledger
        assert 0 <= ledger.refunded <= ledger.captured <= AMOUNT.minor
    assert captures <= 1


def test_each_refusal_has_its_code() -> None:
    auth = Ledger(Status.AUTHORIZED, AMOUNT)
    assert domain.capture(auth, 1001).decline_code is OperationDecline.CAPTURE_EXCEEDS_AUTHORIZATION
    done = domain.capture(auth, 400).ledger
    assert (done.status, done.captured) == (Status.CAPTURED, 400)
    assert domain.capture(done, 1).decline_code is OperationDecline.NOT_CAPTURABLE
    assert domain.void(done).decline_code is OperationDecline.NOT_VOIDABLE
    assert domain.refund(done, 401).decline_code is OperationDecline.REFUND_EXCEEDS_CAPTURE
    assert domain.refund(auth, 1).decline_code is OperationDecline.REFUND_EXCEEDS_CAPTURE


def test_a_challenge_keeps_its_first_answer() -> None:
    open_ = Ledger(Status.CHALLENGE, AMOUNT)
    confirmed = domain.answer_challenge(open_, True, expired=False).ledger
    assert confirmed.status is Status.AUTHORIZED
    assert domain.answer_challenge(confirmed, False, expired=False).ledger == confirmed
    late = domain.answer_challenge(open_, True, expired=True)
    assert (late.ledger.status, late.decline_code) == (
        Status.DECLINED, OperationDecline.AUTHENTICATION_EXPIRED)  # fmt: skip


def test_the_no_answer_card_authorizes_and_sleeps() -> None:
    card = domain.CardInput("4000000000000036", 12, 2030, "123")
    assert domain.decide_authorization(card, dt.date(2026, 12, 1)) == domain.Decision(
        Status.AUTHORIZED, sleep=True
    )


def test_a_card_sent_without_a_cvc_is_not_checked_for_one() -> None:
    today = dt.date(2026, 12, 1)
    assert domain.decide("4242424242424242", 12, 2030, None, today).status is Status.APPROVED
    assert domain.decide("4242424242424242", 12, 2030, "", today).code == "incorrect_cvc"


def test_keys() -> None:
    assert domain.valid_key("pay_01:authorize:1")
    assert domain.valid_key("k" * 255)
    for bad in ("", "k" * 256, "ключ", "a\tb", "a\nb"):
        assert not domain.valid_key(bad)
