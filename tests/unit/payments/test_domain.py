"""The payment state machine and the shop's request rules, without Django."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from zhifu.kernel.money import Money
from zhifu.payments import domain
from zhifu.payments.domain import PaymentStatus, RuleCode

S = PaymentStatus

# Issue 11 item 2, spelled out: every move the machine allows.
EXPECTED = {
    (S.REQUIRES_PAYMENT_METHOD, S.PROCESSING),
    (S.REQUIRES_PAYMENT_METHOD, S.CANCELED),
    (S.REQUIRES_PAYMENT_METHOD, S.EXPIRED),
    (S.PROCESSING, S.REQUIRES_ACTION),
    (S.PROCESSING, S.REQUIRES_CAPTURE),
    (S.PROCESSING, S.SUCCEEDED),
    (S.PROCESSING, S.REQUIRES_PAYMENT_METHOD),
    (S.PROCESSING, S.FAILED),
    (S.PROCESSING, S.CANCELED),
    (S.PROCESSING, S.EXPIRED),
    (S.REQUIRES_ACTION, S.PROCESSING),
    (S.REQUIRES_ACTION, S.CANCELED),
    (S.REQUIRES_ACTION, S.EXPIRED),
    (S.REQUIRES_CAPTURE, S.PROCESSING),
    (S.REQUIRES_CAPTURE, S.SUCCEEDED),
    (S.REQUIRES_CAPTURE, S.CANCELED),
    (S.REQUIRES_CAPTURE, S.EXPIRED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(S, S)))
def test_every_transition_is_allowed_or_refused_as_the_table_says(
    current: PaymentStatus, target: PaymentStatus
) -> None:
    if (current, target) in EXPECTED:
        assert domain.check_transition(current, target) is target
    else:
        with pytest.raises(domain.IllegalTransition) as caught:
            domain.check_transition(current, target)
        assert (caught.value.current, caught.value.target) == (current, target)


def test_final_statuses_go_nowhere() -> None:
    assert {S.SUCCEEDED, S.CANCELED, S.FAILED, S.EXPIRED} == domain.FINAL
    assert domain.OPEN <= domain.CANCELABLE
    assert not domain.FINAL & domain.CANCELABLE


def test_the_fifth_decline_fails_the_payment() -> None:
    assert [domain.after_decline(n) for n in range(1, 6)] == [S.REQUIRES_PAYMENT_METHOD] * 4 + [
        S.FAILED
    ]


def _new(**overrides: object) -> domain.NewPayment:
    values: dict[str, object] = {
        "amount_minor": 100,
        "currency": "USD",
        "enabled_currencies": ("USD", "JPY"),
        "order_reference": "o-1",
        "description": "",
        "buyer_reference": None,
        "return_url": "https://shop.example/done",
        "capture_method": "automatic",
        "metadata": None,
        "demo": False,
    }
    values.update(overrides)
    return domain.new_payment(**values)  # type: ignore[arg-type]


def test_a_valid_request_is_accepted() -> None:
    new = _new(metadata={"a": "b"})
    assert new.amount == Money(100, "USD")
    assert new.metadata == {"a": "b"}


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"amount_minor": 0}, RuleCode.AMOUNT_INVALID),
        ({"amount_minor": True}, RuleCode.AMOUNT_INVALID),
        ({"amount_minor": domain.MAX_AMOUNT + 1}, RuleCode.AMOUNT_TOO_LARGE),
        ({"currency": "EUR"}, RuleCode.CURRENCY_UNSUPPORTED),
        ({"order_reference": "a\nb"}, RuleCode.ORDER_REFERENCE_INVALID),
        ({"buyer_reference": "x" * 256}, RuleCode.BUYER_REFERENCE_INVALID),
        ({"return_url": "https://shop.example:0/"}, RuleCode.RETURN_URL_INVALID),
        ({"return_url": "https://shop.example:99999/"}, RuleCode.RETURN_URL_INVALID),
        ({"return_url": "https:///nohost"}, RuleCode.RETURN_URL_INVALID),
        ({"return_url": "http://shop.example/"}, RuleCode.RETURN_URL_INVALID),
        ({"metadata": {"": "v"}}, RuleCode.METADATA_INVALID),
    ],
)
def test_broken_rules_name_their_field(overrides: dict[str, object], code: RuleCode) -> None:
    with pytest.raises(domain.RuleBroken) as caught:
        _new(**overrides)
    assert caught.value.code is code


def test_http_return_urls_only_in_demo_mode() -> None:
    assert _new(return_url="http://127.0.0.1:8001/done", demo=True).return_url


def test_captures_and_refunds_stay_within_their_bounds() -> None:
    assert domain.capture_amount(1000, None) == 1000
    assert domain.capture_amount(1000, 400) == 400
    with pytest.raises(domain.RuleBroken):
        domain.capture_amount(1000, 1001)
    assert domain.refund_amount(1000, 300, None) == 700
    with pytest.raises(domain.RuleBroken):
        domain.refund_amount(1000, 300, 701)
    with pytest.raises(domain.RuleBroken):
        domain.refund_amount(1000, 1000, None)


def test_times_are_iso_utc_with_a_z() -> None:
    stamp = dt.datetime(2026, 2, 28, 23, 59, 59, 999, tzinfo=dt.UTC)
    assert domain.iso(stamp) == "2026-02-28T23:59:59Z"
    assert domain.iso(None) is None
