"""The bank's challenge, balance payments, expiry, and exactly-once settlement: lost answers,
crashes between the network's answer and the commit, reconcile."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.wallet.payments.support import (
    DB,
    LosingNetwork,
    create,
    entries,
    event_types,
    events,
    holds,
    make_platform,
    pay_proof,
    pay_saved,
    payable,
    save_card,
)
from tests.wallet.vault.support import MASTERCARD, card_input
from zhifu.accounts import services as accounts
from zhifu.accounts.models import Platform, User
from zhifu.connectors.base import (
    AuthorizeResult,
    DeclineCode,
    Flow,
    NetworkStatus,
    NetworkUnavailable,
    OutcomeUnknown,
    Refused,
)
from zhifu.connectors.fake import APPROVE, DECLINE, FakeCardNetwork
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import services as ledger
from zhifu.payments import domain, errors, services
from zhifu.payments.domain import PaymentStatus
from zhifu.payments.models import AttemptState, PaymentAttempt

pytestmark = DB
S = PaymentStatus


def later(delta: dt.timedelta) -> Any:
    return time_machine.travel(clock.now() + delta, tick=False)


# --- the bank's challenge ---------------------------------------------------------------------


def challenge(network: FakeCardNetwork, number: str = MASTERCARD) -> None:
    network.program(
        Flow.AUTHORIZE,
        number,
        AuthorizeResult(
            NetworkStatus.CHALLENGE,
            "fakeauth_challenged",
            Money(1500, "USD"),
            challenge_url="https://bank.example/challenge/1",
        ),
    )


def card_the_network_answers(
    buyer: User, network: FakeCardNetwork, answer: AuthorizeResult | Exception
) -> Any:
    """A saved Mastercard whose next authorization gets ``answer`` from the network."""
    card = save_card(buyer, network, MASTERCARD)
    network.program(Flow.AUTHORIZE, MASTERCARD, answer)
    return card


def test_a_challenged_payment_waits_for_the_buyer_then_succeeds(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network, MASTERCARD)
    challenge(network)
    payment = create(shop)
    outcome = pay_saved(buyer, payment, card)
    assert isinstance(outcome, services.ChallengeRequired)
    assert outcome.url == "https://bank.example/challenge/1"
    assert outcome.payment.status is S.REQUIRES_ACTION
    assert holds() == 0  # nothing is held before the bank confirms
    assert services.cashier(buyer, payment.id).payment.status is S.REQUIRES_ACTION
    done = services.complete_challenge(buyer, payment.id, answer=APPROVE)
    assert isinstance(done, services.Paid)
    assert done.payment.status is S.SUCCEEDED
    assert payable() == 1500
    assert holds() == 0
    assert ledger.check() == []
    assert event_types(payment.id) == [
        "payment.processing", "payment.requires_action", "payment.processing",
        "payment.succeeded",
    ]  # fmt: skip


def test_a_refused_challenge_reopens_the_payment_and_a_bad_answer_keeps_it_waiting(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network, MASTERCARD)
    challenge(network)
    payment = create(shop)
    pay_saved(buyer, payment, card)
    with pytest.raises(errors.ChallengeFailed):
        services.complete_challenge(buyer, payment.id, answer="forged")
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_ACTION
    with pytest.raises(errors.PaymentDeclined):
        services.complete_challenge(buyer, payment.id, answer=DECLINE)
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_PAYMENT_METHOD
    with pytest.raises(errors.PaymentNotOpen):
        services.complete_challenge(buyer, payment.id, answer=APPROVE)


def test_only_the_payments_buyer_answers_its_challenge(
    shop: Platform, buyer: User, light_buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network, MASTERCARD)
    challenge(network)
    payment = create(shop)
    pay_saved(buyer, payment, card)
    with pytest.raises(errors.PaymentNotFound):
        services.complete_challenge(light_buyer, payment.id, answer=APPROVE)
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_ACTION


def test_an_open_challenge_can_be_cancelled_or_expire(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network, MASTERCARD)
    challenge(network)
    one, two = create(shop), create(shop)
    pay_saved(buyer, one, card)
    pay_saved(buyer, two, card)
    assert services.cancel_payment(shop, one.id).status is S.CANCELED
    with later(domain.DEFAULT_EXPIRY + dt.timedelta(seconds=1)):
        assert services.expire_due() == 1
    assert services.get_payment(shop, two.id).status is S.EXPIRED
    assert not PaymentAttempt.objects.filter(state=AttemptState.CHALLENGE).exists()


# --- the balance ------------------------------------------------------------------------------


@pytest.fixture
def balance_shop(db: Any) -> Platform:
    return make_platform("bal", balance=True)


def top_up(user: User, minor: int, currency: str = "USD") -> None:
    ledger.top_up(
        ledger_domain.BALANCE_ON,
        accounts.balance_owner(user),
        Money(minor, currency),
        f"topup-{user.pk}-{minor}",
    )


def balance_of(user: User, currency: str = "USD") -> int:
    return ledger.balance(ledger_domain.buyer(accounts.balance_owner(user), currency)).minor


def test_the_balance_pays_where_the_platform_has_it_on_and_refunds_go_back_to_it(
    balance_shop: Platform, buyer: User
) -> None:
    top_up(buyer, 5000)
    payment = create(balance_shop, 1500)
    assert services.cashier(buyer, payment.id).balance == Money(5000, "USD")
    outcome = services.pay_with_balance(buyer, payment.id, step_up=pay_proof(buyer, payment.id))
    assert isinstance(outcome, services.Paid)
    assert outcome.payment.status is S.SUCCEEDED
    assert outcome.payment.payment_method == domain.PaymentMethodSummary("balance")
    assert domain.payment_object(outcome.payment)["payment_method"] == {
        "type": "balance",
        "card": None,
    }
    assert balance_of(buyer) == 3500
    assert payable("bal") == 1500
    services.create_refund(balance_shop, payment_id=payment.id, amount=500)
    assert balance_of(buyer) == 4000
    assert payable("bal") == 1000
    assert ledger.check() == []


def test_a_manual_balance_payment_releases_the_uncaptured_rest_to_the_buyer(
    balance_shop: Platform, buyer: User
) -> None:
    top_up(buyer, 5000)
    one, two = create(balance_shop, 1000, manual=True), create(balance_shop, 800, manual=True)
    for payment in (one, two):
        services.cashier(buyer, payment.id)
        services.pay_with_balance(buyer, payment.id, step_up=pay_proof(buyer, payment.id))
    assert balance_of(buyer) == 3200
    assert holds() == 1800
    assert services.capture_payment(balance_shop, one.id, amount=700).amount_received == 700
    assert services.cancel_payment(balance_shop, two.id).status is S.CANCELED
    assert balance_of(buyer) == 4300
    assert holds() == 0
    assert payable("bal") == 700
    assert ledger.check() == []


def test_not_enough_balance_or_a_platform_without_it_changes_nothing(
    balance_shop: Platform, shop: Platform, buyer: User
) -> None:
    top_up(buyer, 100)
    payment = create(balance_shop, 1500)
    services.cashier(buyer, payment.id)
    proof = pay_proof(buyer, payment.id)
    with pytest.raises(errors.BalanceInsufficient):
        services.pay_with_balance(buyer, payment.id, step_up=proof)
    after = services.get_payment(balance_shop, payment.id)
    assert after.status is S.REQUIRES_PAYMENT_METHOD
    assert balance_of(buyer) == 100
    off = create(shop)
    services.cashier(buyer, off.id)
    with pytest.raises(errors.BalanceUnavailable):
        services.pay_with_balance(buyer, off.id, step_up=pay_proof(buyer, off.id))


# --- expiry -----------------------------------------------------------------------------------


def test_unpaid_payments_expire_and_say_so(shop: Platform) -> None:
    payment = create(shop)
    assert services.expire_due() == 0
    with later(dt.timedelta(minutes=60)):
        assert services.expire_due() == 1
        assert services.expire_due() == 0
    expired = services.get_payment(shop, payment.id)
    assert expired.status is S.EXPIRED
    assert event_types(payment.id) == ["payment.expired"]
    with pytest.raises(errors.PaymentStateInvalid):
        services.cancel_payment(shop, payment.id)


def test_an_authorization_left_uncaptured_is_voided_and_its_hold_released(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, manual=True)
    pay_saved(buyer, payment, card)
    assert holds() == 1500
    with later(dt.timedelta(minutes=61)):
        assert services.expire_due() == 0  # authorized: the shop has the capture window
    with later(dt.timedelta(minutes=60) + domain.CAPTURE_WINDOW):
        assert services.expire_due() == 1
    assert services.get_payment(shop, payment.id).status is S.EXPIRED
    assert holds() == 0
    assert ledger.check() == []
    voids = [r for r in network.requests if getattr(r, "idempotency_key", "").endswith(":void")]
    assert len(voids) == 1


def test_a_payment_waiting_for_the_network_does_not_expire(
    shop: Platform, buyer: User, losing: LosingNetwork
) -> None:
    card = save_card(buyer, losing)
    losing.lose = {Flow.AUTHORIZE}
    payment = create(shop)
    assert isinstance(pay_saved(buyer, payment, card), services.Pending)
    with later(dt.timedelta(minutes=90)):
        assert services.expire_due() == 0
    assert services.get_payment(shop, payment.id).status is S.PROCESSING


# --- lost answers and reconcile -----------------------------------------------------------------


def test_a_lost_authorization_answer_is_settled_once_by_reconcile(
    shop: Platform, buyer: User, losing: LosingNetwork
) -> None:
    card = save_card(buyer, losing)
    losing.lose = {Flow.AUTHORIZE}
    payment = create(shop)
    outcome = pay_saved(buyer, payment, card)
    assert isinstance(outcome, services.Pending)
    assert outcome.payment.status is S.PROCESSING
    assert services.reconcile().checked == 0  # young attempts are left to their request
    losing.lose = set()
    report = services.reconcile(older_than=dt.timedelta(0))
    assert (report.checked, report.settled) == (1, 1)
    assert services.get_payment(shop, payment.id).status is S.SUCCEEDED
    assert services.reconcile(older_than=dt.timedelta(0)).checked == 0
    assert entries("payment_hold") == 1
    assert entries("payment_capture") == 1
    assert payable() == 1500
    assert ledger.check() == []


def test_reconcile_runs_after_a_minute_on_its_own(
    shop: Platform, buyer: User, losing: LosingNetwork
) -> None:
    card = save_card(buyer, losing)
    losing.lose = {Flow.AUTHORIZE}
    payment = create(shop, manual=True)
    pay_saved(buyer, payment, card)
    with later(services.RECONCILE_AFTER):
        assert services.reconcile().settled == 1
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_CAPTURE


def test_an_authorization_the_network_never_received_is_given_up_after_a_while(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = card_the_network_answers(buyer, network, OutcomeUnknown("lost on the way"))
    payment = create(shop)
    assert isinstance(pay_saved(buyer, payment, card), services.Pending)
    assert services.reconcile(older_than=dt.timedelta(0)).still_open == 1
    with later(services.NEVER_ARRIVED_AFTER):
        assert services.reconcile().settled == 1
    after = services.get_payment(shop, payment.id)
    assert after.status is S.REQUIRES_PAYMENT_METHOD
    assert after.failure_code == "payment_network_unavailable"
    assert holds() == 0


def test_a_pending_authorization_stays_processing_until_the_network_decides(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = card_the_network_answers(
        buyer,
        network,
        AuthorizeResult(NetworkStatus.PENDING, "fakeauth_pending", Money(1500, "USD")),
    )
    payment = create(shop)
    assert isinstance(pay_saved(buyer, payment, card), services.Pending)
    assert services.reconcile(older_than=dt.timedelta(0)).still_open == 1
    assert services.get_payment(shop, payment.id).status is S.PROCESSING


def test_an_unreachable_network_leaves_the_payment_open_and_nothing_charged(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = card_the_network_answers(buyer, network, NetworkUnavailable("connection refused"))
    payment = create(shop)
    with pytest.raises(errors.PaymentNetworkUnavailable) as caught:
        pay_saved(buyer, payment, card)
    assert caught.value.http_status == 503
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_PAYMENT_METHOD
    assert not PaymentAttempt.objects.filter(state=AttemptState.OPEN).exists()


class Crash(Exception):
    """The process dies between the network's answer and the commit."""


def crash_once(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real = getattr(ledger, name)
    calls = {"n": 0}

    def boom(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise Crash(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(ledger, name, boom)


def test_a_crash_after_the_authorization_is_settled_once_by_reconcile(
    shop: Platform, buyer: User, network: FakeCardNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, manual=True)
    services.cashier(buyer, payment.id)
    crash_once(monkeypatch, "hold_payment")
    with pytest.raises(Crash):
        services.pay_with_saved_card(
            buyer, payment.id, card_id=card.id, step_up=pay_proof(buyer, payment.id)
        )
    # Rolled back to what was committed before the call: processing, the attempt open.
    assert services.get_payment(shop, payment.id).status is S.PROCESSING
    assert holds() == 0
    assert services.reconcile(older_than=dt.timedelta(0)).settled == 1
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_CAPTURE
    assert holds() == 1500
    assert entries("payment_hold") == 1
    authorizations = [r for r in network.requests if type(r).__name__ == "AuthorizeRequest"]
    assert len(authorizations) == 1  # the network was asked once; reconcile read its status
    assert ledger.check() == []


def test_a_crash_after_the_capture_is_completed_once_by_the_retry(
    shop: Platform, buyer: User, network: FakeCardNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, 1000, manual=True)
    pay_saved(buyer, payment, card)
    crash_once(monkeypatch, "capture_hold")
    with pytest.raises(Crash):
        services.capture_payment(shop, payment.id, amount=400)
    assert services.get_payment(shop, payment.id).status is S.PROCESSING
    retried = services.capture_payment(shop, payment.id, amount=400)
    assert retried.status is S.SUCCEEDED
    assert retried.amount_received == 400
    assert payable() == 400
    assert holds() == 0
    assert entries("payment_capture") == 1
    [auth] = network._authorizations.values()
    assert auth.captured == 400  # the same key twice: the network captured once
    assert ledger.check() == []


def test_lost_capture_void_and_refund_answers_are_settled_by_reconcile(
    shop: Platform, buyer: User, losing: LosingNetwork
) -> None:
    card = save_card(buyer, losing)
    captured, canceled = create(shop, manual=True), create(shop, manual=True)
    pay_saved(buyer, captured, card)
    pay_saved(buyer, canceled, card)
    losing.lose = {Flow.CAPTURE, Flow.VOID, Flow.REFUND}
    assert services.capture_payment(shop, captured.id).status is S.PROCESSING
    assert services.cancel_payment(shop, canceled.id).status is S.PROCESSING
    assert services.reconcile(older_than=dt.timedelta(0)).still_open == 2  # still lost
    losing.lose = {Flow.REFUND}
    assert services.reconcile(older_than=dt.timedelta(0)).settled == 2
    assert services.get_payment(shop, captured.id).status is S.SUCCEEDED
    assert services.get_payment(shop, canceled.id).status is S.CANCELED
    refund = services.create_refund(shop, payment_id=captured.id)
    assert refund.status.value == "pending"
    losing.lose = set()
    assert services.reconcile(older_than=dt.timedelta(0)).settled == 1
    assert services.get_refund(shop, refund.id).status.value == "succeeded"
    assert payable() == 0
    assert holds() == 0
    assert ledger.check() == []
    assert [e["type"] for e in events("refund.pending", "refund.succeeded")] == [
        "refund.pending",
        "refund.succeeded",
    ]


def test_a_refused_refund_fails_and_gives_its_amount_back(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, 1000)
    pay_saved(buyer, payment, card)
    [authorization] = list(network._authorizations)
    network.program(Flow.REFUND, authorization, Refused(DeclineCode.OTHER))
    refund = services.create_refund(shop, payment_id=payment.id, amount=600)
    assert refund.status.value == "failed"
    assert domain.refund_object(refund)["failure"] == {
        "code": "refund_declined",
        "message": "The card network refused the refund.",
    }
    assert services.get_payment(shop, payment.id).amount_refunded == 0
    assert payable() == 1000
    assert [e["type"] for e in events("refund.pending", "refund.failed")] == [
        "refund.pending",
        "refund.failed",
    ]


def test_a_refused_capture_keeps_the_authorization_for_another_try(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, manual=True)
    pay_saved(buyer, payment, card)
    [authorization] = list(network._authorizations)
    network.program(Flow.CAPTURE, authorization, Refused(DeclineCode.OTHER))
    after = services.capture_payment(shop, payment.id)
    assert after.status is S.REQUIRES_CAPTURE
    assert after.failure_code == "capture_declined"
    assert holds() == 1500


def test_a_new_card_payment_sends_its_cvc_to_the_network_only(
    shop: Platform, buyer: User, network: FakeCardNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    payment = create(shop)
    services.cashier(buyer, payment.id)
    services.pay_with_new_card(
        buyer, payment.id, card=card_input(MASTERCARD, cvc="917"), save=True, client_ip=""
    )
    assert network.seen_cvcs == ["917"]
    from zhifu.outbox.models import OutboxMessage
    from zhifu.payments.models import Payment as Row

    stored = " ".join(
        [str(list(Row.objects.values()))]
        + [str(list(PaymentAttempt.objects.values()))]
        + [str(m.payload) for m in OutboxMessage.objects.all()]
    )
    assert MASTERCARD not in stored
    assert "'917'" not in stored  # no field holds the CVC (ids may contain the digits)
    assert MASTERCARD not in caplog.text


def test_an_authorization_of_another_amount_is_not_taken(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = card_the_network_answers(
        buyer, network, AuthorizeResult(NetworkStatus.AUTHORIZED, "fakeauth_other", Money(1, "USD"))
    )
    payment = create(shop)
    with pytest.raises(errors.PaymentDeclined):
        pay_saved(buyer, payment, card)
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_PAYMENT_METHOD
    assert holds() == 0


class Answering(FakeCardNetwork):
    """Authorizations are lost on the way back; status answers what the test says."""

    answer: Any = None

    def authorize(self, request: Any) -> Any:
        raise OutcomeUnknown("read timeout (test)")

    def status(self, request: Any) -> Any:
        return self.answer


@pytest.mark.parametrize(
    ("answer", "status", "failure"),
    [
        (NetworkStatus.DECLINED, S.REQUIRES_PAYMENT_METHOD, "insufficient_funds"),
        (NetworkStatus.CHALLENGE, S.REQUIRES_ACTION, None),
        (NetworkStatus.AUTHORIZED, S.REQUIRES_CAPTURE, None),
        (NetworkStatus.PENDING, S.PROCESSING, None),
    ],
)
def test_reconcile_follows_what_the_network_says_of_a_lost_authorization(
    shop: Platform,
    buyer: User,
    settings: Any,
    answer: NetworkStatus,
    status: PaymentStatus,
    failure: str | None,
) -> None:
    from zhifu.connectors.base import StatusResult

    network = Answering()
    settings.ZHIFU_CARD_NETWORK = network
    card = save_card(buyer, network)
    payment = create(shop, manual=True)
    assert isinstance(pay_saved(buyer, payment, card), services.Pending)
    network.answer = StatusResult(
        Flow.AUTHORIZE,
        answer,
        "fakeauth_lost",
        Money(1500, "USD"),
        DeclineCode.INSUFFICIENT_FUNDS if answer is NetworkStatus.DECLINED else None,
    )
    services.reconcile(older_than=dt.timedelta(0))
    after = services.get_payment(shop, payment.id)
    assert after.status is status
    assert after.failure_code == failure
    assert holds() == (1500 if status is S.REQUIRES_CAPTURE else 0)


def test_an_uncaptured_balance_payment_expires_back_to_the_buyer(
    balance_shop: Platform, buyer: User
) -> None:
    top_up(buyer, 2000)
    payment = create(balance_shop, 1500, manual=True)
    services.cashier(buyer, payment.id)
    services.pay_with_balance(buyer, payment.id, step_up=pay_proof(buyer, payment.id))
    assert balance_of(buyer) == 500
    with later(dt.timedelta(minutes=60) + domain.CAPTURE_WINDOW):
        assert services.expire_due() == 1
    assert services.get_payment(balance_shop, payment.id).status is S.EXPIRED
    assert balance_of(buyer) == 2000
    assert holds() == 0
    assert ledger.check() == []


def test_an_abandoned_challenge_is_voided_at_the_network_under_its_own_key(
    shop: Platform,
    buyer: User,
    network: FakeCardNetwork,
    django_capture_on_commit_callbacks: Any,
) -> None:
    card = save_card(buyer, network, MASTERCARD)
    challenge(network)
    payment = create(shop)
    pay_saved(buyer, payment, card)
    [attempt] = PaymentAttempt.objects.filter(payment_id=payment.id)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_payment(shop, payment.id)
    voids = [r for r in network.requests if type(r).__name__ == "VoidRequest"]
    assert [(v.idempotency_key, v.authorization) for v in voids] == [
        (f"{attempt.id}:void", "fakeauth_challenged")
    ]
    assert services.get_payment(shop, payment.id).status is S.CANCELED
