"""Payments' rules, free of Django: the state machine, what a shop may ask for, the objects.

The state machine (docs/payments.md draws it). A payment is *open* while a buyer may still
pay it (``requires_payment_method``, ``requires_action``); ``processing`` means a network
call's outcome is not known yet (an authorization, a capture or a void in flight, or one
whose answer was lost: ``reconcile`` settles it); ``requires_capture`` holds authorized
money until the shop captures or cancels; ``succeeded``, ``canceled``, ``failed`` and
``expired`` are final. :data:`ALLOWED` is the whole machine: every move not in it is refused
with :class:`IllegalTransition` (the services answer ``payment_unexpected_state``, 409).

Amounts are minor units (``Money``); ``amount_capturable`` is what is authorized and neither
captured nor released, ``amount_received`` what was captured, ``amount_refunded`` what went
back. A refund never exceeds ``amount_received - amount_refunded``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from zhifu.kernel.money import Money

T = TypeVar("T")


class PaymentStatus(StrEnum):  # the API's words
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    PROCESSING = "processing"  # a network call's outcome is not known yet
    REQUIRES_ACTION = "requires_action"  # the bank's challenge is open
    REQUIRES_CAPTURE = "requires_capture"  # authorized, manual capture
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    FAILED = "failed"
    EXPIRED = "expired"


class CaptureMethod(StrEnum):
    AUTOMATIC = "automatic"
    MANUAL = "manual"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RefundReason(StrEnum):
    NONE = ""
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"


S = PaymentStatus

# The whole machine: from each status, where a payment may go next.
ALLOWED: Mapping[PaymentStatus, frozenset[PaymentStatus]] = {
    S.REQUIRES_PAYMENT_METHOD: frozenset({S.PROCESSING, S.CANCELED, S.EXPIRED}),
    S.PROCESSING: frozenset(
        {
            S.REQUIRES_ACTION,  # the issuer wants the buyer to confirm
            S.REQUIRES_CAPTURE,  # authorized (manual capture), or a capture refused
            S.SUCCEEDED,  # captured
            S.REQUIRES_PAYMENT_METHOD,  # declined or not sent: the buyer may try again
            S.FAILED,  # declined for the last allowed time
            S.CANCELED,  # a void for a cancel went through
            S.EXPIRED,  # a void for an expiry went through
        }
    ),
    # Answered (or paid another way): processing; a declined answer goes on from there.
    S.REQUIRES_ACTION: frozenset({S.PROCESSING, S.CANCELED, S.EXPIRED}),
    S.REQUIRES_CAPTURE: frozenset({S.PROCESSING, S.SUCCEEDED, S.CANCELED, S.EXPIRED}),
    S.SUCCEEDED: frozenset(),
    S.CANCELED: frozenset(),
    S.FAILED: frozenset(),
    S.EXPIRED: frozenset(),
}

OPEN: frozenset[PaymentStatus] = frozenset({S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_ACTION})
CANCELABLE: frozenset[PaymentStatus] = frozenset(
    {S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_ACTION, S.REQUIRES_CAPTURE}
)
FINAL: frozenset[PaymentStatus] = frozenset(s for s, nxt in ALLOWED.items() if not nxt)

# After this many declined attempts a payment fails for good (a card tester's budget).
MAX_DECLINES = 5
# An authorization waits this long for its capture after the payment's expiry, then is
# voided and its hold released (networks let authorizations lapse after about a week).
CAPTURE_WINDOW = dt.timedelta(days=7)
DEFAULT_EXPIRY = dt.timedelta(minutes=60)

# What a shop may send (docs/api.md repeats these).
MAX_AMOUNT = 99_999_999_999  # minor units; fits every column and any sane order
MAX_ORDER_REFERENCE = 200
MAX_DESCRIPTION = 1000
MAX_BUYER_REFERENCE = 255
MAX_RETURN_URL = 2000
MAX_METADATA_KEYS = 20
MAX_METADATA_KEY = 40
MAX_METADATA_VALUE = 500
MAX_PAGE = 100


class IllegalTransition(Exception):
    """A move the state machine does not allow (the services answer 409)."""

    def __init__(self, current: PaymentStatus, target: PaymentStatus) -> None:
        super().__init__(f"a {current} payment cannot become {target}")
        self.current = current
        self.target = target


def check_transition(current: PaymentStatus, target: PaymentStatus) -> PaymentStatus:
    """``target`` if the machine allows ``current -> target``; else IllegalTransition."""
    if target not in ALLOWED[current]:
        raise IllegalTransition(current, target)
    return target


def after_decline(declines: int) -> PaymentStatus:
    """Where a declined attempt leaves the payment, ``declines`` counting this one."""
    return S.FAILED if declines >= MAX_DECLINES else S.REQUIRES_PAYMENT_METHOD


# --- what a shop asks for ---------------------------------------------------------------


class RuleCode(StrEnum):
    """Why a request breaks a rule; payments.errors has one refusal per code."""

    AMOUNT_INVALID = "amount_invalid"
    AMOUNT_TOO_LARGE = "amount_too_large"
    CURRENCY_UNSUPPORTED = "currency_unsupported"
    ORDER_REFERENCE_INVALID = "order_reference_invalid"
    DESCRIPTION_TOO_LONG = "description_too_long"
    BUYER_REFERENCE_INVALID = "buyer_reference_invalid"
    RETURN_URL_INVALID = "return_url_invalid"
    METADATA_INVALID = "metadata_invalid"
    REASON_INVALID = "refund_reason_invalid"
    CAPTURE_EXCEEDS_AUTHORIZED = "capture_exceeds_authorized"
    REFUND_EXCEEDS_CAPTURED = "refund_exceeds_captured"
    LIMIT_INVALID = "limit_invalid"


class RuleBroken(Exception):
    def __init__(self, code: RuleCode, param: str) -> None:
        super().__init__(f"{param}: {code}")
        self.code = code
        self.param = param


def _printable(text: str) -> bool:
    return text.isprintable()


def check_amount(minor: int, param: str = "amount") -> int:
    if type(minor) is not int or minor <= 0:
        raise RuleBroken(RuleCode.AMOUNT_INVALID, param)
    if minor > MAX_AMOUNT:
        raise RuleBroken(RuleCode.AMOUNT_TOO_LARGE, param)
    return minor


def check_currency(currency: str, enabled: Sequence[str]) -> str:
    if currency not in enabled:
        raise RuleBroken(RuleCode.CURRENCY_UNSUPPORTED, "currency")
    return currency


def check_return_url(url: str, *, demo: bool) -> str:
    """An absolute https URL (http too in demo mode) with a host, no credentials."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_RETURN_URL or not url.isprintable():
        raise RuleBroken(RuleCode.RETURN_URL_INVALID, "return_url")
    try:
        parts = urlsplit(url)
        port = parts.port  # a malformed port raises here
    except ValueError:
        raise RuleBroken(RuleCode.RETURN_URL_INVALID, "return_url") from None
    schemes = {"https", "http"} if demo else {"https"}
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise RuleBroken(RuleCode.RETURN_URL_INVALID, "return_url")
    if port == 0 or " " in url:
        raise RuleBroken(RuleCode.RETURN_URL_INVALID, "return_url")
    return url


def check_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping) or len(metadata) > MAX_METADATA_KEYS:
        raise RuleBroken(RuleCode.METADATA_INVALID, "metadata")
    for key, value in metadata.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise RuleBroken(RuleCode.METADATA_INVALID, "metadata")
        if not 0 < len(key) <= MAX_METADATA_KEY or len(value) > MAX_METADATA_VALUE:
            raise RuleBroken(RuleCode.METADATA_INVALID, "metadata")
        if not _printable(key) or "\x00" in value:
            raise RuleBroken(RuleCode.METADATA_INVALID, "metadata")
    return dict(metadata)


@dataclass(frozen=True)
class NewPayment:
    """A shop's request, every rule checked (build with :func:`new_payment`)."""

    amount: Money
    order_reference: str
    description: str
    buyer_reference: str | None
    return_url: str
    capture_method: CaptureMethod
    metadata: dict[str, str]


def new_payment(
    *,
    amount_minor: int,
    currency: str,
    enabled_currencies: Sequence[str],
    order_reference: str,
    description: str,
    buyer_reference: str | None,
    return_url: str,
    capture_method: CaptureMethod | str,
    metadata: Mapping[str, str] | None,
    demo: bool,
) -> NewPayment:
    """Check a create request; raises RuleBroken naming the first field at fault."""
    check_currency(currency, enabled_currencies)
    check_amount(amount_minor)
    if (
        not isinstance(order_reference, str)
        or not 0 < len(order_reference) <= MAX_ORDER_REFERENCE
        or not _printable(order_reference)
    ):
        raise RuleBroken(RuleCode.ORDER_REFERENCE_INVALID, "order_reference")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise RuleBroken(RuleCode.DESCRIPTION_TOO_LONG, "description")
    if buyer_reference is not None and (
        not isinstance(buyer_reference, str)
        or not 0 < len(buyer_reference) <= MAX_BUYER_REFERENCE
        or not _printable(buyer_reference)
    ):
        raise RuleBroken(RuleCode.BUYER_REFERENCE_INVALID, "buyer_reference")
    check_return_url(return_url, demo=demo)
    return NewPayment(
        amount=Money(amount_minor, currency),
        order_reference=order_reference,
        description=description,
        buyer_reference=buyer_reference,
        return_url=return_url,
        capture_method=CaptureMethod(capture_method),
        metadata=check_metadata(metadata),
    )


def capture_amount(capturable: int, requested: int | None) -> int:
    """What a capture takes: all that is capturable, or the part asked for."""
    if requested is None:
        return capturable
    check_amount(requested)
    if requested > capturable:
        raise RuleBroken(RuleCode.CAPTURE_EXCEEDS_AUTHORIZED, "amount")
    return requested


def refund_amount(received: int, refunded: int, requested: int | None) -> int:
    """What a refund returns: the rest of what was captured, or the part asked for.

    ``refunded`` counts refunds succeeded *and* pending, so two in flight cannot together
    exceed what was captured.
    """
    left = received - refunded
    if requested is None:
        if left <= 0:
            raise RuleBroken(RuleCode.REFUND_EXCEEDS_CAPTURED, "amount")
        return left
    check_amount(requested)
    if requested > left:
        raise RuleBroken(RuleCode.REFUND_EXCEEDS_CAPTURED, "amount")
    return requested


def check_reason(reason: str) -> RefundReason:
    try:
        return RefundReason(reason)
    except ValueError:
        raise RuleBroken(RuleCode.REASON_INVALID, "reason") from None


def check_limit(limit: int) -> int:
    if type(limit) is not int or not 1 <= limit <= MAX_PAGE:
        raise RuleBroken(RuleCode.LIMIT_INVALID, "limit")
    return limit


# --- the objects every service returns --------------------------------------------------


@dataclass(frozen=True)
class PaymentMethodSummary:
    """What paid; never a number."""

    type: str  # "card" | "balance"
    card_brand: str = ""  # scheme name, e.g. "Visa"
    card_last4: str = ""
    card_exp_month: int | None = None
    card_exp_year: int | None = None


@dataclass(frozen=True)
class Payment:
    id: str  # "pay_…"
    platform_slug: str
    amount: Money
    amount_capturable: int  # minor units authorized and not yet captured/released
    amount_received: int  # captured
    amount_refunded: int
    status: PaymentStatus
    capture_method: CaptureMethod
    order_reference: str
    description: str
    buyer_reference: str | None  # the buyer's subject at the platform's provider
    return_url: str
    cashier_url: str  # absolute, from config().urls (never the request's Host)
    metadata: dict[str, str]
    created_at: dt.datetime  # aware, UTC
    expires_at: dt.datetime
    canceled_at: dt.datetime | None
    failure_code: str | None  # last failure: a decline code or other refusal code
    failure_message: str | None  # English, for the API
    payment_method: PaymentMethodSummary | None
    livemode: bool

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True)
class Refund:
    id: str  # "re_…"
    payment_id: str
    amount: Money
    status: RefundStatus
    reason: str  # "" | "requested_by_customer" | "duplicate" | "fraudulent"
    metadata: dict[str, str]
    created_at: dt.datetime
    failure_code: str | None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, newest first; ``next_cursor`` is the last item's id."""

    items: list[T] = field(default_factory=list)
    has_more: bool = False
    next_cursor: str | None = None


def iso(stamp: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z", to the second (the API's times)."""
    if stamp is None:
        return None
    return stamp.astimezone(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _failure(code: str | None, message: str | None) -> dict[str, str] | None:
    return None if code is None else {"code": code, "message": message or ""}


def payment_object(p: Payment) -> dict[str, Any]:
    """The API's JSON of a payment (also the outbox events' ``data``)."""
    method: dict[str, Any] | None = None
    if p.payment_method is not None:
        m = p.payment_method
        card = (
            {
                "brand": m.card_brand,
                "last4": m.card_last4,
                "exp_month": m.card_exp_month,
                "exp_year": m.card_exp_year,
            }
            if m.type == "card"
            else None
        )
        method = {"type": m.type, "card": card}
    return {
        "id": p.id,
        "object": "payment",
        "amount": p.amount.minor,
        "currency": p.amount.currency,
        "amount_capturable": p.amount_capturable,
        "amount_received": p.amount_received,
        "amount_refunded": p.amount_refunded,
        "status": p.status.value,
        "capture_method": p.capture_method.value,
        "order_reference": p.order_reference,
        "description": p.description,
        "buyer_reference": p.buyer_reference,
        "return_url": p.return_url,
        "cashier_url": p.cashier_url,
        "metadata": dict(p.metadata),
        "created_at": iso(p.created_at),
        "expires_at": iso(p.expires_at),
        "canceled_at": iso(p.canceled_at),
        "failure": _failure(p.failure_code, p.failure_message),
        "payment_method": method,
        "livemode": p.livemode,
    }


# English, for the API: why a refund failed, by its failure code.
REFUND_FAILURES: Mapping[str, str] = {
    "refund_declined": "The card network refused the refund.",
}


def refund_object(r: Refund) -> dict[str, Any]:
    return {
        "id": r.id,
        "object": "refund",
        "payment": r.payment_id,
        "amount": r.amount.minor,
        "currency": r.amount.currency,
        "status": r.status.value,
        "reason": r.reason,
        "metadata": dict(r.metadata),
        "created_at": iso(r.created_at),
        "failure": _failure(r.failure_code, REFUND_FAILURES.get(r.failure_code or "", "")),
    }


@dataclass(frozen=True)
class RefundTotals:
    """What was given back of one payment, as its buyer sees it (minor units): refunds
    that went through, and those still waiting for the card network."""

    currency: str
    received: int  # captured: what could be refunded
    refunded: int = 0
    pending: int = 0
    count: int = 0  # refunds that went through

    @property
    def full(self) -> bool:
        return self.refunded > 0 and self.refunded >= self.received

    @property
    def received_money(self) -> Money:
        return Money(self.received, self.currency)

    @property
    def refunded_money(self) -> Money:
        return Money(self.refunded, self.currency)

    @property
    def pending_money(self) -> Money:
        return Money(self.pending, self.currency)


def return_url_for(payment: Payment) -> str:
    """The shop's return_url with ``payment_id`` and ``status`` appended to its query."""
    parts = urlsplit(payment.return_url)
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in {"payment_id", "status"}
    ]
    query += [("payment_id", payment.id), ("status", payment.status.value)]
    return urlunsplit(parts._replace(query=urlencode(query)))


# --- network keys -----------------------------------------------------------------------
# Every network call's idempotency key is derived from what it acts on, so a retry after a
# crash or a timeout re-sends the same key and the network acts once.


def authorize_key(attempt_id: str) -> str:
    return f"{attempt_id}:authorize"


def capture_key(payment_id: str) -> str:
    return f"{payment_id}:capture"


def void_key(payment_id: str) -> str:
    return f"{payment_id}:void"


def abandon_key(attempt_id: str) -> str:
    """The void of an authorization abandoned under its challenge (one per attempt: the
    payment's own void key stays for the authorization that may come after)."""
    return f"{attempt_id}:void"


def refund_key(refund_id: str) -> str:
    return f"{refund_id}:refund"


def challenge_key(attempt_id: str) -> str:
    return f"{attempt_id}:challenge"
