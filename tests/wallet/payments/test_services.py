"""Payments' use cases against the fake card network: the shop's side and the cashier's."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import time_machine

from tests.wallet.payments.support import (
    DB,
    RETURN_URL,
    create,
    event_types,
    events,
    holds,
    identity,
    make_platform,
    pay_proof,
    pay_saved,
    payable,
    save_card,
)
from tests.wallet.vault.support import MASTERCARD, VISA, card_input
from zhifu.accounts.models import Platform, User
from zhifu.connectors.base import DeclineCode, Flow, Refused
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.credentials.errors import StepUpInvalid
from zhifu.kernel import clock
from zhifu.kernel.money import Money
from zhifu.ledger import services as ledger
from zhifu.payments import domain, errors, services
from zhifu.payments.domain import CaptureMethod, PaymentStatus
from zhifu.vault import services as vault
from zhifu.vault.errors import CardNotFound

pytestmark = DB
S = PaymentStatus
WITH_CREDENTIALS = "https://user:pw@shop.example/"  # pragma: allowlist secret


# --- the shop's side ------------------------------------------------------------------------


def test_a_new_payment_waits_for_a_method_with_its_cashier_url_and_expiry(shop: Platform) -> None:
    payment = create(shop)
    assert payment.id.startswith("pay_")
    assert payment.status is S.REQUIRES_PAYMENT_METHOD
    assert payment.cashier_url.endswith(f"/pay/{payment.id}/")
    assert payment.cashier_url.startswith("http")
    assert payment.expires_at - payment.created_at == dt.timedelta(minutes=60)
    assert (payment.amount_capturable, payment.amount_received) == (0, 0)
    obj = domain.payment_object(payment)
    assert obj["object"] == "payment"
    assert obj["amount"] == 1500
    assert obj["currency"] == "USD"
    assert obj["created_at"].endswith("Z")
    assert obj["failure"] is None
    assert obj["payment_method"] is None


def test_the_expiry_follows_the_setting(shop: Platform, settings: Any) -> None:
    cfg = settings.ZHIFU
    settings.ZHIFU = dataclasses.replace(
        cfg, env=cfg.env.model_copy(update={"payment_expiry_minutes": 5})
    )
    payment = create(shop)
    assert payment.expires_at - payment.created_at == dt.timedelta(minutes=5)


@pytest.mark.parametrize(
    ("overrides", "code", "param"),
    [
        ({"amount": Money(0, "USD")}, "amount_invalid", "amount"),
        ({"amount": Money(-5, "USD")}, "amount_invalid", "amount"),
        ({"amount": Money(domain.MAX_AMOUNT + 1, "USD")}, "amount_too_large", "amount"),
        ({"amount": Money(100, "CHF")}, "currency_unsupported", "currency"),
        ({"order_reference": ""}, "order_reference_invalid", "order_reference"),
        ({"order_reference": "x" * 201}, "order_reference_invalid", "order_reference"),
        ({"description": "x" * 1001}, "description_too_long", "description"),
        ({"buyer_reference": ""}, "buyer_reference_invalid", "buyer_reference"),
        ({"return_url": "ftp://shop.example/done"}, "return_url_invalid", "return_url"),
        ({"return_url": "javascript:alert(1)"}, "return_url_invalid", "return_url"),
        ({"return_url": WITH_CREDENTIALS}, "return_url_invalid", "return_url"),
        ({"return_url": "/relative"}, "return_url_invalid", "return_url"),
        ({"metadata": {f"k{i}": "v" for i in range(21)}}, "metadata_invalid", "metadata"),
        ({"metadata": {"k" * 41: "v"}}, "metadata_invalid", "metadata"),
        ({"metadata": {"k": "v" * 501}}, "metadata_invalid", "metadata"),
        ({"metadata": {"k": 5}}, "metadata_invalid", "metadata"),
    ],
)
def test_malformed_requests_are_refused_naming_the_field(
    shop: Platform, overrides: dict[str, Any], code: str, param: str
) -> None:
    with pytest.raises(errors.PaymentsRefusal) as caught:
        create(shop, **overrides)
    assert (caught.value.code, caught.value.param, caught.value.http_status) == (code, param, 400)
    assert services.list_payments(shop).items == []  # nothing half-written


def test_plain_http_return_urls_are_for_the_demo_only(shop: Platform, settings: Any) -> None:
    settings.ZHIFU = dataclasses.replace(settings.ZHIFU, demo=False)
    with pytest.raises(errors.ReturnUrlInvalid):
        create(shop, return_url="http://shop.example/done")
    settings.ZHIFU = dataclasses.replace(settings.ZHIFU, demo=True)
    assert create(shop, return_url="http://shop.example/done").return_url.startswith("http:")


def test_another_platforms_payment_is_not_found(shop: Platform) -> None:
    other = make_platform("other")
    payment = create(shop)
    assert services.get_payment(shop, payment.id) == payment
    for call in (
        lambda: services.get_payment(other, payment.id),
        lambda: services.capture_payment(other, payment.id),
        lambda: services.cancel_payment(other, payment.id),
        lambda: services.create_refund(other, payment_id=payment.id),
    ):
        with pytest.raises(errors.PaymentNotFound) as caught:
            call()
        assert caught.value.http_status == 404
    assert services.list_payments(other).items == []


@pytest.mark.parametrize("bad", ["", "pay_", "nope", "pay_' OR 1=1 --", "x" * 500, None, 5])
def test_malformed_ids_are_not_found(shop: Platform, bad: Any) -> None:
    with pytest.raises(errors.PaymentNotFound):
        services.get_payment(shop, bad)
    with pytest.raises(errors.RefundNotFound):
        services.get_refund(shop, bad)


def test_the_list_pages_newest_first_and_filters(shop: Platform) -> None:
    start = clock.now()
    made = []
    for i in range(5):
        with time_machine.travel(start + dt.timedelta(seconds=i), tick=False):
            made.append(create(shop, order_reference=f"o{i}"))
    first = services.list_payments(shop, limit=2)
    assert [p.id for p in first.items] == [made[4].id, made[3].id]
    assert first.has_more
    assert first.next_cursor == made[3].id
    second = services.list_payments(shop, limit=2, starting_after=first.next_cursor)
    assert [p.id for p in second.items] == [made[2].id, made[1].id]
    last = services.list_payments(shop, limit=2, starting_after=second.next_cursor)
    assert [p.id for p in last.items] == [made[0].id]
    assert not last.has_more
    assert last.next_cursor is None
    assert [p.id for p in services.list_payments(shop, order_reference="o2").items] == [made[2].id]
    window = services.list_payments(
        shop,
        created_gte=start + dt.timedelta(seconds=1),
        created_lt=start + dt.timedelta(seconds=3),
    )
    assert {p.id for p in window.items} == {made[1].id, made[2].id}
    assert services.list_payments(shop, status=S.SUCCEEDED).items == []
    with pytest.raises(errors.CursorInvalid):
        services.list_payments(shop, starting_after="garbage")
    with pytest.raises(errors.LimitInvalid):
        services.list_payments(shop, limit=0)
    with pytest.raises(errors.LimitInvalid):
        services.list_payments(shop, limit=101)


# --- paying with a saved card ---------------------------------------------------------------


def test_a_saved_card_pays_an_automatic_payment_through_to_the_merchant(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop)
    outcome = pay_saved(buyer, payment, card)
    assert isinstance(outcome, services.Paid)
    paid = outcome.payment
    assert paid.status is S.SUCCEEDED
    assert (paid.amount_received, paid.amount_capturable) == (1500, 0)
    assert paid.payment_method == domain.PaymentMethodSummary("card", "Visa", "4242", 12, 2030)
    assert holds() == 0
    assert payable() == 1500
    assert ledger.check() == []
    assert event_types(payment.id) == ["payment.processing", "payment.succeeded"]
    evt = events("payment.succeeded")[-1]
    assert evt["platform"] == "shop"
    assert evt["id"].startswith("evt_")
    assert evt["data"] == domain.payment_object(paid)
    keys = [r.idempotency_key for r in network.requests if hasattr(r, "idempotency_key")]
    assert keys[-2].endswith(":authorize")
    assert keys[-1] == f"{payment.id}:capture"


def test_a_manual_payment_is_held_until_captured_and_a_partial_capture_releases_the_rest(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, 1000, manual=True)
    outcome = pay_saved(buyer, payment, card)
    assert isinstance(outcome, services.Paid)
    assert outcome.payment.status is S.REQUIRES_CAPTURE
    assert outcome.payment.amount_capturable == 1000
    assert holds() == 1000
    assert payable() == 0
    captured = services.capture_payment(shop, payment.id, amount=600)
    assert captured.status is S.SUCCEEDED
    assert (captured.amount_received, captured.amount_capturable) == (600, 0)
    assert holds() == 0
    assert payable() == 600
    with pytest.raises(errors.PaymentStateInvalid) as caught:
        services.capture_payment(shop, payment.id)  # once
    assert caught.value.http_status == 409
    assert caught.value.code == "payment_unexpected_state"
    assert ledger.check() == []


def test_a_capture_larger_than_authorized_is_refused(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, 1000, manual=True)
    pay_saved(buyer, payment, card)
    with pytest.raises(errors.CaptureExceedsAuthorized) as caught:
        services.capture_payment(shop, payment.id, amount=1001)
    assert caught.value.param == "amount"
    with pytest.raises(errors.AmountInvalid):
        services.capture_payment(shop, payment.id, amount=0)
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_CAPTURE


def test_cancelling_an_authorized_payment_voids_it_and_releases_the_hold(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, manual=True)
    pay_saved(buyer, payment, card)
    canceled = services.cancel_payment(shop, payment.id)
    assert canceled.status is S.CANCELED
    assert canceled.canceled_at is not None
    assert canceled.amount_capturable == 0
    assert holds() == 0
    assert payable() == 0
    assert ledger.check() == []
    with pytest.raises(errors.PaymentStateInvalid):
        services.cancel_payment(shop, payment.id)
    with pytest.raises(errors.PaymentStateInvalid):
        services.capture_payment(shop, payment.id)


def test_an_unpaid_payment_can_be_cancelled_and_then_not_paid(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop)
    assert services.cancel_payment(shop, payment.id).status is S.CANCELED
    with pytest.raises(errors.PaymentNotOpen):
        services.cashier(buyer, payment.id)
    with pytest.raises(errors.PaymentNotOpen):
        services.pay_with_saved_card(
            buyer, payment.id, card_id=card.id, step_up=pay_proof(buyer, payment.id)
        )
    assert event_types(payment.id) == ["payment.canceled"]


def test_refunds_are_partial_several_and_never_more_than_captured(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop, 1000)
    pay_saved(buyer, payment, card)
    first = services.create_refund(shop, payment_id=payment.id, amount=300, reason="duplicate")
    assert first.status.value == "succeeded"
    assert first.amount == Money(300, "USD")
    with pytest.raises(errors.RefundExceedsCaptured) as caught:
        services.create_refund(shop, payment_id=payment.id, amount=701)
    assert caught.value.param == "amount"
    rest = services.create_refund(shop, payment_id=payment.id)
    assert rest.amount.minor == 700
    with pytest.raises(errors.RefundExceedsCaptured):
        services.create_refund(shop, payment_id=payment.id, amount=1)
    assert services.get_payment(shop, payment.id).amount_refunded == 1000
    assert payable() == 0
    assert ledger.check() == []
    assert services.get_refund(shop, first.id) == first
    listed = services.list_refunds(shop, payment_id=payment.id)
    assert [r.id for r in listed.items] == sorted([first.id, rest.id], reverse=True)
    assert [e["type"] for e in events("refund.pending", "refund.succeeded")] == [
        "refund.pending", "refund.succeeded", "refund.pending", "refund.succeeded",
    ]  # fmt: skip
    other = make_platform("other")
    with pytest.raises(errors.RefundNotFound):
        services.get_refund(other, first.id)
    assert services.list_refunds(other).items == []
    obj = domain.refund_object(first)
    assert obj["object"] == "refund"
    assert obj["payment"] == payment.id
    assert obj["failure"] is None


def test_a_refund_of_an_unpaid_payment_is_refused(shop: Platform) -> None:
    payment = create(shop)
    with pytest.raises(errors.PaymentStateInvalid):
        services.create_refund(shop, payment_id=payment.id)
    with pytest.raises(errors.ReasonInvalid):
        services.create_refund(shop, payment_id=payment.id, reason="because")


def test_a_declined_card_leaves_the_payment_open_with_the_reason(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network, MASTERCARD)
    network.program(Flow.AUTHORIZE, MASTERCARD, Refused(DeclineCode.INSUFFICIENT_FUNDS))
    payment = create(shop)
    with pytest.raises(errors.PaymentDeclined) as caught:
        pay_saved(buyer, payment, card)
    assert caught.value.code == "card_declined"
    assert caught.value.decline_code is DeclineCode.INSUFFICIENT_FUNDS
    assert "insufficient funds" in caught.value.message
    after = services.get_payment(shop, payment.id)
    assert after.status is S.REQUIRES_PAYMENT_METHOD
    assert after.failure_code == "insufficient_funds"
    assert domain.payment_object(after)["failure"]["code"] == "insufficient_funds"
    assert holds() == 0
    assert event_types(payment.id) == ["payment.processing", "payment.failed"]


def test_the_fifth_decline_fails_the_payment_for_good(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network, MASTERCARD)
    network.program(Flow.AUTHORIZE, MASTERCARD, Refused(DeclineCode.DO_NOT_HONOUR))
    payment = create(shop)
    for _ in range(domain.MAX_DECLINES):
        with pytest.raises(errors.PaymentDeclined):
            pay_saved(buyer, payment, card)
    assert services.get_payment(shop, payment.id).status is S.FAILED
    with pytest.raises(errors.PaymentNotOpen):
        services.cashier(buyer, payment.id)


def test_the_proof_is_for_this_payment_only_and_spent_once(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    one, two = create(shop, manual=True), create(shop, manual=True)
    services.cashier(buyer, one.id)
    services.cashier(buyer, two.id)
    proof = pay_proof(buyer, one.id)
    with pytest.raises(StepUpInvalid):
        services.pay_with_saved_card(buyer, two.id, card_id=card.id, step_up=proof)
    services.pay_with_saved_card(buyer, one.id, card_id=card.id, step_up=proof)
    with pytest.raises((StepUpInvalid, errors.PaymentNotOpen)):
        services.pay_with_saved_card(buyer, one.id, card_id=card.id, step_up=proof)
    assert network.calls == 2  # the card's verification and one authorization


def test_a_refused_proof_reveals_no_card(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    from zhifu.vault.models import AuditEvent

    card = save_card(buyer, network)
    one, two = create(shop), create(shop)
    services.cashier(buyer, two.id)
    with pytest.raises(StepUpInvalid):
        services.pay_with_saved_card(
            buyer, two.id, card_id=card.id, step_up=pay_proof(buyer, one.id)
        )
    assert not AuditEvent.objects.filter(card_id=card.id, action=AuditEvent.Action.REVEAL)
    assert services.get_payment(shop, two.id).status is S.REQUIRES_PAYMENT_METHOD


def test_a_card_that_cannot_be_revealed_leaves_the_payment_to_pay_again(
    shop: Platform, buyer: User, network: FakeCardNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = save_card(buyer, network)
    payment = create(shop)
    calls = network.calls

    def tampered(self: Any, *, purpose: str) -> Any:
        raise RuntimeError("tampered record (test)")

    monkeypatch.setattr(vault.PaymentCard, "reveal", tampered)
    with pytest.raises(RuntimeError):
        pay_saved(buyer, payment, card)
    monkeypatch.undo()
    assert network.calls == calls  # nothing sent
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_PAYMENT_METHOD
    assert isinstance(pay_saved(buyer, payment, card), services.Paid)


def test_the_cashiers_confirmation_checks_the_payment_before_the_password(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    from tests.wallet.accounts.support import GOOD_PIN, registered_buyer
    from zhifu.credentials import services as credentials

    card = save_card(buyer, network)
    theirs = create(shop)
    services.cashier(registered_buyer("boris@example.com"), theirs.id)
    with pytest.raises(errors.PaymentNotFound):
        services.confirm_saved_card(buyer, theirs.id, card_id=card.id, pin="000001")
    with pytest.raises(errors.BalanceUnavailable):  # the shop has the balance off
        services.confirm_balance(buyer, create(shop).id, pin="000001")
    assert credentials.attempts_left(buyer) == 5
    payment = create(shop)
    outcome = services.confirm_saved_card(buyer, payment.id, card_id=card.id, pin=GOOD_PIN)
    assert isinstance(outcome, services.Paid)  # bound to the buyer on the way
    assert services.receipt(buyer, payment.id).status is S.SUCCEEDED


def test_another_buyers_card_cannot_pay(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    from tests.wallet.accounts.support import registered_buyer

    boris = registered_buyer("boris@example.com")
    borises = save_card(boris, network, MASTERCARD)
    payment = create(shop)
    with pytest.raises(CardNotFound):
        pay_saved(buyer, payment, borises)
    assert services.get_payment(shop, payment.id).status is S.REQUIRES_PAYMENT_METHOD


# --- the cashier: binding, new cards, light accounts -------------------------------------------


def test_the_first_buyer_to_open_the_cashier_owns_the_payment(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    from tests.wallet.accounts.support import registered_buyer

    payment = create(shop)
    view = services.cashier(buyer, payment.id)
    assert view.shop_name == "Shop shop"
    assert view.payment.id == payment.id
    assert view.can_use_saved_cards
    assert view.attempts_left == 5
    assert view.locked_until is None
    assert view.balance is None  # the shop has the balance off
    boris = registered_buyer("boris@example.com")
    with pytest.raises(errors.PaymentNotFound):
        services.cashier(boris, payment.id)
    with pytest.raises(errors.PaymentNotFound):
        services.receipt(boris, payment.id)


def test_a_payment_for_a_named_buyer_opens_only_for_that_account(
    shop: Platform, buyer: User, light_buyer: User
) -> None:
    identity(buyer, shop, "sub-anna")
    identity(light_buyer, shop, "sub-other")
    payment = create(shop, buyer_reference="sub-anna")
    with pytest.raises(errors.PaymentNotFound):
        services.cashier(light_buyer, payment.id)
    assert services.cashier(buyer, payment.id).payment.buyer_reference == "sub-anna"


def test_a_light_account_pays_with_a_new_card_without_saving_it(
    shop: Platform, light_buyer: User, network: FakeCardNetwork
) -> None:
    payment = create(shop)
    view = services.cashier(light_buyer, payment.id)
    assert view.cards == []
    assert not view.can_use_saved_cards
    with pytest.raises(errors.SaveNeedsRegistration):
        services.pay_with_new_card(
            light_buyer, payment.id, card=card_input(), save=True, client_ip="203.0.113.5"
        )
    outcome = services.pay_with_new_card(
        light_buyer, payment.id, card=card_input(), save=False, client_ip="203.0.113.5"
    )
    assert isinstance(outcome, services.Paid)
    assert outcome.payment.status is S.SUCCEEDED
    assert network.seen_cvcs == ["739"]
    assert vault.list_cards(light_buyer) == []
    assert services.receipt(light_buyer, payment.id).status is S.SUCCEEDED
    assert [p.id for p in services.history(light_buyer).items] == [payment.id]


def test_a_registered_buyer_saves_the_new_card_after_paying(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    payment = create(shop)
    services.cashier(buyer, payment.id)
    outcome = services.pay_with_new_card(
        buyer, payment.id, card=card_input(MASTERCARD), save=True, client_ip=""
    )
    assert isinstance(outcome, services.Paid)
    [saved] = vault.list_cards(buyer)
    assert saved.last4 == "4444"
    assert saved.is_default
    assert network.seen_cvcs == ["739"]  # the authorization only: no second verification
    # Paying again with it and saving again does not save it twice.
    again = create(shop)
    services.cashier(buyer, again.id)
    services.pay_with_new_card(
        buyer, again.id, card=card_input(MASTERCARD), save=True, client_ip=""
    )
    assert len(vault.list_cards(buyer)) == 1


def test_a_new_card_decline_shows_the_reason_once_then_the_generic_one(
    shop: Platform, light_buyer: User, network: FakeCardNetwork
) -> None:
    network.program(Flow.AUTHORIZE, VISA, Refused(DeclineCode.STOLEN_CARD))
    payment = create(shop)
    services.cashier(light_buyer, payment.id)
    shown = []
    for _ in range(2):
        with pytest.raises(errors.PaymentDeclined) as caught:
            services.pay_with_new_card(
                light_buyer, payment.id, card=card_input(), save=False, client_ip="203.0.113.9"
            )
        shown.append(caught.value.decline_code)
    assert shown == [DeclineCode.STOLEN_CARD, DeclineCode.DO_NOT_HONOUR]
    # The bank's own code is what the shop sees.
    assert services.get_payment(shop, payment.id).failure_code == "stolen_card"


def test_the_cashier_shows_an_estimate_in_the_buyers_currency(
    shop: Platform, network: FakeCardNetwork
) -> None:
    from tests.wallet.accounts.support import new_buyer
    from zhifu.fx import services as fx

    fx.import_sample(clock.now())
    russian = new_buyer(locale="ru")
    payment = create(shop, 1000, "EUR")
    estimate = services.cashier(russian, payment.id).fx_estimate
    assert estimate is not None
    assert estimate.amount.currency == "RUB"
    assert estimate.amount.minor > 0
    assert estimate.rate > 0


def test_history_is_own_payments_newest_first(
    shop: Platform, buyer: User, light_buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    start = clock.now()
    mine = []
    for i in range(3):
        with time_machine.travel(start + dt.timedelta(seconds=i), tick=False):
            payment = create(shop)
            pay_saved(buyer, payment, card)
            mine.append(payment.id)
    services.cashier(light_buyer, create(shop).id)
    page = services.history(buyer, limit=2)
    assert [p.id for p in page.items] == [mine[2], mine[1]]
    assert page.has_more
    rest = services.history(buyer, cursor=page.next_cursor)
    assert [p.id for p in rest.items] == [mine[0]]
    assert services.shop_names(page.items) == {"shop": "Shop shop"}


def test_the_return_url_carries_the_payment_id_and_status(shop: Platform) -> None:
    payment = create(shop, return_url=RETURN_URL + "?x=1&status=forged")
    url = services.return_url_for(payment)
    assert url == f"{RETURN_URL}?x=1&payment_id={payment.id}&status=requires_payment_method"


def test_an_expired_payment_cannot_be_paid(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    payment = create(shop)
    services.cashier(buyer, payment.id)
    with time_machine.travel(payment.expires_at + dt.timedelta(seconds=1), tick=False):
        with pytest.raises(errors.PaymentNotOpen) as caught:
            services.pay_with_saved_card(
                buyer, payment.id, card_id=card.id, step_up=pay_proof(buyer, payment.id)
            )
        assert caught.value.status is S.EXPIRED
    assert services.get_payment(shop, payment.id).status is S.EXPIRED
    assert network.calls == 1  # the card's verification only


def test_capture_method_is_kept(shop: Platform) -> None:
    assert create(shop, manual=True).capture_method is CaptureMethod.MANUAL


def test_a_key_of_one_mode_sees_no_payment_or_refund_of_the_other(
    shop: Platform, buyer: User, network: FakeCardNetwork
) -> None:
    card = save_card(buyer, network)
    live = create(shop, livemode=True)
    pay_saved(buyer, live, card)
    refund = services.create_refund(shop, payment_id=live.id, amount=1, livemode=True)
    assert services.get_payment(shop, live.id, livemode=True).livemode
    for call in (
        lambda: services.get_payment(shop, live.id, livemode=False),
        lambda: services.capture_payment(shop, live.id, livemode=False),
        lambda: services.cancel_payment(shop, live.id, livemode=False),
        lambda: services.create_refund(shop, payment_id=live.id, livemode=False),
    ):
        with pytest.raises(errors.PaymentNotFound):
            call()
    with pytest.raises(errors.RefundNotFound):
        services.get_refund(shop, refund.id, livemode=False)
    assert services.list_payments(shop, livemode=False).items == []
    assert services.list_refunds(shop, livemode=False).items == []
    assert [p.id for p in services.list_payments(shop, livemode=True).items] == [live.id]
    assert [r.id for r in services.list_refunds(shop, livemode=True).items] == [refund.id]
