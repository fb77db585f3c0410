"""Payments' use cases: the shop's (create, capture, cancel, refund, read) and the buyer's
(the cashier: pay with a saved card, a new card or the balance; the bank's challenge; the
receipt and the history), plus expiry and reconciliation.

Every network call follows one pattern (docs/payments.md "Exactly once"):

1. a transaction moves the payment to ``processing`` and records an attempt row carrying the
   call's idempotency key (derived from what it acts on: ``<attempt>:authorize``,
   ``<payment>:capture``, ``<payment>:void``, ``<refund>:refund``), and commits;
2. the call is made, outside any transaction;
3. a second transaction settles the attempt — state, ledger postings, outbox event — but only
   if the attempt is still open (under the payment's row lock), so the live request and
   :func:`reconcile` can both try and exactly one settles.

A crash between 2 and 3 leaves an open attempt: :func:`reconcile` asks the network's
``status`` (authorizations) or re-sends the same request under the same key (captures, voids,
refunds: the network acts once per key) and settles it then.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog
from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.views.decorators.debug import sensitive_variables

from zhifu.accounts import services as accounts
from zhifu.config import outbound
from zhifu.config.site import config
from zhifu.connectors import base as port
from zhifu.connectors.base import CardNetwork, DeclineCode, NetworkStatus
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import Action, StepUp, bound
from zhifu.db import CompiledQuery, insert, run_in_transaction, save_changes, update_where
from zhifu.fx import domain as fx_domain
from zhifu.fx import errors as fx_errors
from zhifu.fx import services as fx
from zhifu.kernel import clock, ids
from zhifu.kernel.errors import Refusal
from zhifu.kernel.money import Money
from zhifu.ledger import domain as ledger_domain
from zhifu.ledger import errors as ledger_errors
from zhifu.ledger import services as ledger
from zhifu.outbox.services import enqueue
from zhifu.payments import domain, errors
from zhifu.payments.domain import (
    CaptureMethod,
    Page,
    Payment,
    PaymentMethodSummary,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from zhifu.payments.models import Attempt, AttemptState, PaymentAttempt
from zhifu.payments.models import Payment as PaymentRow
from zhifu.payments.models import Refund as RefundRow
from zhifu.security import services as security
from zhifu.vault import domain as vault_domain
from zhifu.vault import services as vault
from zhifu.web.shop_names import shop_name

log = structlog.get_logger(__name__)

S = PaymentStatus
NETWORK = "cardnet"  # the card network's clearing account in the ledger
# reconcile leaves attempts younger than this to the request that made them (a call holds
# its thread at most outbound.CALL_BUDGET_S).
RECONCILE_AFTER = dt.timedelta(seconds=6 * outbound.CALL_BUDGET_S)
# An authorization the network still does not know after this was never received.
NEVER_ARRIVED_AFTER = dt.timedelta(minutes=15)
_ID = re.compile(r"^[a-z]{1,12}_[0-9A-Z]{26}$")

__all__ = [
    "Cashier",
    "ChallengeRequired",
    "FxEstimate",
    "Outcome",
    "Paid",
    "Pending",
]


# --- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Paid:
    """Authorized (and captured, for automatic capture): show the receipt."""

    payment: Payment


@dataclass(frozen=True)
class ChallengeRequired:
    """The bank wants the buyer to confirm first: send them to ``url``."""

    payment: Payment
    url: str


@dataclass(frozen=True)
class Pending:
    """The network has not answered yet: "we are waiting for your bank"."""

    payment: Payment


Outcome = Paid | ChallengeRequired | Pending


@dataclass(frozen=True)
class FxEstimate:
    """The amount in the buyer's currency at today's mid rate: an estimate, not a quote."""

    amount: Money
    rate: Decimal
    as_of: dt.datetime


@dataclass(frozen=True)
class BalanceOption:
    """One balance that covers the payment: the payment's own currency (no quote), or
    another at a locked quote that takes exactly `take` to receive the payment's amount."""

    balance: Money
    take: Money
    quote_id: str | None = None
    rate: Decimal | None = None  # units of the payment's currency per one of `take`'s
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class Cashier:
    payment: Payment
    shop_name: str
    cards: list[vault.Card]  # default first; [] for a light account
    can_use_saved_cards: bool  # the buyer has a payment password
    balance: Money | None  # when the platform has the balance on
    fx_estimate: FxEstimate | None
    attempts_left: int
    locked_until: dt.datetime | None
    balance_options: tuple[BalanceOption, ...] = ()  # the balances that cover it, own first


# --- rows to objects ----------------------------------------------------------------------


def cashier_url(payment_id: str) -> str:
    """The cashier's page of a payment, from the configured wallet URL (never a Host)."""
    return f"{config().urls['wallet'].rstrip('/')}/pay/{payment_id}/"


def challenge_return_url(payment_id: str) -> str:
    """Where the bank's challenge page sends the buyer back."""
    return f"{cashier_url(payment_id)}challenge/"


def pay_action(payment_id: str) -> str:
    """The step-up action that confirms this payment, and no other."""
    return bound(Action.PAYMENT_CONFIRM, payment_id)


def _method(row: PaymentRow) -> PaymentMethodSummary | None:
    if not row.method_type:
        return None
    return PaymentMethodSummary(
        type=row.method_type,
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        card_exp_month=row.card_exp_month,
        card_exp_year=row.card_exp_year,
    )


def _payment(row: PaymentRow) -> Payment:
    return Payment(
        id=row.id,
        platform_slug=row.platform.slug,
        amount=Money(row.amount, row.currency),
        amount_capturable=row.amount_capturable,
        amount_received=row.amount_received,
        amount_refunded=row.amount_refunded,
        status=PaymentStatus(row.status),
        capture_method=CaptureMethod(row.capture_method),
        order_reference=row.order_reference,
        description=row.description,
        buyer_reference=row.buyer_reference or None,
        return_url=row.return_url,
        cashier_url=cashier_url(row.id),
        metadata=dict(row.metadata),
        created_at=row.created_at,
        expires_at=row.expires_at,
        canceled_at=row.canceled_at,
        failure_code=row.failure_code or None,
        failure_message=row.failure_message or None,
        payment_method=_method(row),
        livemode=row.livemode,
    )


def _refund(row: RefundRow) -> Refund:
    return Refund(
        id=row.id,
        payment_id=row.payment_id,
        amount=Money(row.amount, row.currency),
        status=RefundStatus(row.status),
        reason=row.reason,
        metadata=dict(row.metadata),
        created_at=row.created_at,
        failure_code=row.failure_code or None,
    )


def _rows() -> QuerySet[PaymentRow]:
    return PaymentRow.objects.select_related("platform")


# The cashier's lock (the binding, every attempt's transaction), its SQL built once.
_LOCK = CompiledQuery(
    lambda payment_id: (
        _rows().select_for_update(of=("self",)).filter(id=payment_id).order_by("pk")[:1]
    )
)


def _lock(payment_id: str) -> PaymentRow:
    """The payment's row, locked until the transaction ends (the platform row is not)."""
    rows = _LOCK.fetch(payment_id)
    if not rows:
        raise errors.PaymentNotFound()
    return rows[0]


# The shop's reads and locks through the API, their SQL built once (zhifu.db.CompiledQuery):
# the caller's platform row is attached, not joined.


def _own_payments(
    platform_id: int,
    payment_id: str | None,
    status: str | None,
    created_gte: dt.datetime | None,
    created_lt: dt.datetime | None,
    order_reference: str | None,
    starting_after: str | None,
    *,
    livemode: bool | None,
    limit: int,
    lock: bool = False,
) -> QuerySet[PaymentRow]:
    rows = PaymentRow.objects.filter(_mode(livemode), platform_id=platform_id)
    if lock:
        rows = rows.select_for_update()
    return _where(
        rows,
        id=payment_id,
        status=status,
        created_at__gte=created_gte,
        created_at__lt=created_lt,
        order_reference=order_reference,
        id__lt=starting_after,
    ).order_by("-id")[:limit]


def _where(rows: QuerySet[Any], **lookups: Any) -> QuerySet[Any]:
    """``rows`` filtered by each lookup whose value is not None (None: no such filter)."""
    return rows.filter(**{name: v for name, v in lookups.items() if v is not None})


_OWN_PAYMENTS = CompiledQuery(_own_payments)


def _own_payment(
    platform: Any, payment_id: str, livemode: bool | None, *, lock: bool = False
) -> PaymentRow:
    """The shop's payment of the key's mode (locked until the transaction ends, if
    ``lock``); another platform's or mode's is not found (404), in the same statement."""
    found = _OWN_PAYMENTS.fetch(
        platform.pk, payment_id, None, None, None, None, None,
        livemode=livemode, limit=1, lock=lock,
    )  # fmt: skip
    if not found:
        raise errors.PaymentNotFound()
    row = found[0]
    row.platform = platform
    return row


def _lock_own(platform: Any, payment_id: str, livemode: bool | None) -> PaymentRow:
    return _own_payment(platform, payment_id, livemode, lock=True)


def _move(row: PaymentRow, target: PaymentStatus) -> None:
    try:
        domain.check_transition(PaymentStatus(row.status), target)
    except domain.IllegalTransition:
        raise errors.PaymentStateInvalid(PaymentStatus(row.status)) from None
    row.status = target.value
    row.updated_at = clock.now()
    if target is S.CANCELED:
        row.canceled_at = row.updated_at


def _emit(row: PaymentRow, event: str) -> None:
    """The outbox event of a state change, in its transaction."""
    enqueue(event, _event(event, row.platform.slug, domain.payment_object(_payment(row))))


def _emit_refund(refund: RefundRow, slug: str, event: str) -> None:
    enqueue(event, _event(event, slug, domain.refund_object(_refund(refund))))


def _event(event: str, slug: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": ids.new_id("evt"),
        "type": event,
        "created_at": domain.iso(clock.now()),
        "platform": slug,
        "data": data,
    }


def _merchant(row: PaymentRow) -> str:
    """The ledger owner of a platform's payable."""
    return f"merchant:{row.platform.slug}"


def _buyer_owner(row: PaymentRow) -> str | None:
    """The ledger owner the money came from: the buyer for a balance payment, else None
    (the card network's clearing account)."""
    if row.method_type != "balance" or row.buyer is None:
        return None
    return accounts.balance_owner(row.buyer)


def _network() -> CardNetwork:
    return outbound.card_network()


def _check_id(value: object, refusal: type[errors.PaymentsRefusal]) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise refusal()
    return value


def _rule(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except domain.RuleBroken as exc:
        raise errors.refusal_for(exc) from None


# --- the shop's use cases -----------------------------------------------------------------


def expiry_delay() -> dt.timedelta:
    return dt.timedelta(minutes=config().env.payment_expiry_minutes)


def create_payment(
    platform: Any,
    *,
    amount: Money,
    order_reference: str,
    description: str = "",
    buyer_reference: str | None = None,
    return_url: str,
    capture_method: CaptureMethod,
    metadata: dict[str, str],
    livemode: bool = False,
) -> Payment:
    cfg = config()
    new: domain.NewPayment = _rule(
        lambda: domain.new_payment(
            amount_minor=amount.minor,
            currency=amount.currency,
            enabled_currencies=cfg.currencies,
            order_reference=order_reference,
            description=description,
            buyer_reference=buyer_reference,
            return_url=return_url,
            capture_method=capture_method,
            metadata=metadata,
            demo=cfg.demo,
        )
    )
    now = clock.now()
    row = insert(
        PaymentRow(
            id=ids.new_id("pay"),
            platform=platform,
            livemode=livemode,
            amount=new.amount.minor,
            currency=new.amount.currency,
            status=S.REQUIRES_PAYMENT_METHOD.value,
            capture_method=new.capture_method.value,
            order_reference=new.order_reference,
            description=new.description,
            buyer_reference=new.buyer_reference or "",
            return_url=new.return_url,
            metadata=new.metadata,
            created_at=now,
            updated_at=now,
            expires_at=now + expiry_delay(),
        )
    )
    log.info("payments.created", payment=row.id, platform=platform.slug, amount=row.amount)
    return _payment(row)


def _mode(livemode: bool | None) -> Q:
    """A key sees the payments of its own mode only (a test key no live payment, and the
    reverse); None: both (the cashier, operators)."""
    return Q() if livemode is None else Q(livemode=livemode)


def get_payment(platform: Any, payment_id: str, *, livemode: bool | None = None) -> Payment:
    """Another platform's payment, or one of the other mode, is not found (404, never 403)."""
    _check_id(payment_id, errors.PaymentNotFound)
    return _payment(_own_payment(platform, payment_id, livemode))


def _page(rows: QuerySet[Any], limit: int, starting_after: str | None, convert: Any) -> Page[Any]:
    limit, starting_after = _page_bounds(limit, starting_after)
    if starting_after is not None:
        rows = rows.filter(id__lt=starting_after)
    return _page_of(list(rows.order_by("-id")[: limit + 1]), limit, convert)


def list_payments(
    platform: Any,
    *,
    status: PaymentStatus | None = None,
    created_gte: dt.datetime | None = None,
    created_lt: dt.datetime | None = None,
    order_reference: str | None = None,
    limit: int = 20,
    starting_after: str | None = None,
    livemode: bool | None = None,
) -> Page[Payment]:
    """The platform's payments, newest first (keyset pagination on the id)."""
    limit, starting_after = _page_bounds(limit, starting_after)
    found = _OWN_PAYMENTS.fetch(
        platform.pk, None, None if status is None else PaymentStatus(status).value,
        created_gte, created_lt, order_reference, starting_after,
        livemode=livemode, limit=limit + 1,
    )  # fmt: skip
    for row in found:
        row.platform = platform
    return _page_of(found, limit, _payment)


def _page_bounds(limit: int, starting_after: str | None) -> tuple[int, str | None]:
    limit = _rule(lambda: domain.check_limit(limit))
    if starting_after is not None and (
        not isinstance(starting_after, str) or not _ID.match(starting_after)
    ):
        raise errors.CursorInvalid(param="starting_after")
    return limit, starting_after


def _page_of(found: list[Any], limit: int, convert: Any) -> Page[Any]:
    """A page of ``limit`` items from ``limit + 1`` rows (one more: there are more)."""
    more = len(found) > limit
    items = [convert(r) for r in found[:limit]]
    return Page(items=items, has_more=more, next_cursor=items[-1].id if more and items else None)


def capture_payment(
    platform: Any, payment_id: str, *, amount: int | None = None, livemode: bool | None = None
) -> Payment:
    """Capture an authorized payment, once: all of it, or a part (the rest is released).

    A retry after a lost answer re-sends the same capture (same key) and settles it once.
    """
    _check_id(payment_id, errors.PaymentNotFound)

    def begin() -> tuple[PaymentAttempt | None, Payment | None]:
        row = _lock_own(platform, payment_id, livemode)  # another platform's: not found
        if row.status == S.PROCESSING:
            open_capture = _open_attempt(row, Attempt.CAPTURE)
            if open_capture is not None:
                return open_capture, None  # a retry: send the same capture again
        if row.status != S.REQUIRES_CAPTURE:
            raise errors.PaymentStateInvalid(PaymentStatus(row.status))
        take = _rule(lambda: domain.capture_amount(row.amount_capturable, amount))
        if row.method_type == "balance":
            _capture_now(row, take)
            return None, _payment(row)
        _move(row, S.PROCESSING)
        save_changes(row)
        attempt = _new_attempt(row, Attempt.CAPTURE, domain.capture_key(row.id), take)
        _emit(row, "payment.processing")
        return attempt, None

    attempt, done = run_in_transaction(begin)
    if done is not None:
        return done
    assert attempt is not None
    return _send_capture(attempt.id, attempt)


def cancel_payment(platform: Any, payment_id: str, *, livemode: bool | None = None) -> Payment:
    """Cancel an open or authorized payment; an authorization is voided, its hold released."""
    _check_id(payment_id, errors.PaymentNotFound)

    def begin() -> tuple[str | None, Payment]:
        row = _lock_own(platform, payment_id, livemode)
        open_void = _open_attempt(row, Attempt.VOID) if row.status == S.PROCESSING else None
        if open_void is not None:
            return open_void.id, _payment(row)
        if row.status not in domain.CANCELABLE:
            raise errors.PaymentStateInvalid(PaymentStatus(row.status))
        if row.status != S.REQUIRES_CAPTURE:
            _close_challenges(row)
            _move(row, S.CANCELED)
            save_changes(row)
            _emit(row, "payment.canceled")
            return None, _payment(row)
        if row.method_type == "balance":
            _release_now(row, S.CANCELED)
            return None, _payment(row)
        attempt = _begin_void(row, "cancel")
        return attempt.id, _payment(row)

    attempt_id, payment = run_in_transaction(begin)
    if attempt_id is None:
        return payment
    return _send_void(attempt_id)


def create_refund(
    platform: Any,
    *,
    payment_id: str,
    amount: int | None = None,
    reason: str = "",
    metadata: dict[str, str] | None = None,
    livemode: bool | None = None,
) -> Refund:
    """Refund (part of) a captured payment; refunds never add up to more than captured."""
    _check_id(payment_id, errors.PaymentNotFound)

    def begin() -> tuple[PaymentAttempt | None, Refund]:
        row = _lock_own(platform, payment_id, livemode)  # not found before any other refusal
        why = _rule(lambda: domain.check_reason(reason))
        meta = _rule(lambda: domain.check_metadata(metadata))
        if row.status != S.SUCCEEDED:
            raise errors.PaymentStateInvalid(PaymentStatus(row.status))
        take = _rule(lambda: domain.refund_amount(row.amount_received, row.amount_refunded, amount))
        refund = insert(
            RefundRow(
                id=ids.new_id("re"),
                payment=row,
                platform_id=row.platform_id,
                amount=take,
                currency=row.currency,
                status=RefundStatus.PENDING.value,
                reason=why.value,
                metadata=meta,
                created_at=clock.now(),
            )
        )
        row.amount_refunded += take  # reserved while pending: two refunds cannot both pass
        row.updated_at = clock.now()
        save_changes(row)
        if row.method_type == "balance":
            ledger.refund_capture(
                f"{refund.id}:refund",
                _merchant(row),
                Money(take, row.currency),
                buyer_owner=_buyer_owner(row),
            )
            refund.status = RefundStatus.SUCCEEDED.value
            save_changes(refund)
            _emit_refund(refund, row.platform.slug, "refund.succeeded")
            return None, _refund(refund)
        attempt = _new_attempt(
            row, Attempt.REFUND, domain.refund_key(refund.id), take, refund=refund
        )
        _emit_refund(refund, row.platform.slug, "refund.pending")
        return attempt, _refund(refund)

    attempt, refund = run_in_transaction(begin)
    if attempt is None:
        return refund
    return _send_refund(attempt.id, attempt)


def _refund_mode(livemode: bool | None) -> Q:
    return Q() if livemode is None else Q(payment__livemode=livemode)


def _own_refunds(
    platform_id: int,
    refund_id: str | None,
    payment_id: str | None,
    starting_after: str | None,
    *,
    livemode: bool | None,
    limit: int,
) -> QuerySet[RefundRow]:
    rows = RefundRow.objects.filter(_refund_mode(livemode), platform_id=platform_id)
    return _where(rows, id=refund_id, payment_id=payment_id, id__lt=starting_after).order_by("-id")[
        :limit
    ]


_OWN_REFUNDS = CompiledQuery(_own_refunds)


def get_refund(platform: Any, refund_id: str, *, livemode: bool | None = None) -> Refund:
    _check_id(refund_id, errors.RefundNotFound)
    found = _OWN_REFUNDS.fetch(platform.pk, refund_id, None, None, livemode=livemode, limit=1)
    if not found:
        raise errors.RefundNotFound()
    return _refund(found[0])


def list_refunds(
    platform: Any,
    *,
    payment_id: str | None = None,
    limit: int = 20,
    starting_after: str | None = None,
    livemode: bool | None = None,
) -> Page[Refund]:
    limit, starting_after = _page_bounds(limit, starting_after)
    found = _OWN_REFUNDS.fetch(
        platform.pk, None, payment_id, starting_after, livemode=livemode, limit=limit + 1
    )
    return _page_of(found, limit, _refund)


# --- the cashier ----------------------------------------------------------------------------

# The buyer's currency for the cashier's estimate, by the language the shop said they use.
_LOCALE_CURRENCY = {
    "ru": "RUB", "zh": "CNY", "ja": "JPY", "ko": "KRW", "uk": "UAH", "kk": "KZT",
    "pl": "PLN", "tr": "TRY", "pt-br": "BRL", "en-gb": "GBP", "en-au": "AUD",
    "en-ca": "CAD", "de": "EUR", "fr": "EUR", "es": "EUR", "it": "EUR", "en": "USD",
}  # fmt: skip


def preferred_currency(user: Any) -> str | None:
    locale = (getattr(user, "locale", "") or "").lower().replace("_", "-")
    found = _LOCALE_CURRENCY.get(locale) or _LOCALE_CURRENCY.get(locale.split("-")[0])
    return found if found in config().currencies else None


def _is_buyer_of(user: Any, row: PaymentRow) -> bool:
    """Whether this user may pay (or see) the payment."""
    if row.buyer_id is not None:
        return bool(row.buyer_id == user.pk)
    if not row.buyer_reference:
        return True
    return any(
        identity.platform_id == row.platform_id and identity.subject == row.buyer_reference
        for identity in accounts.connected_shops(user)
    )


def _expire_if_due(row: PaymentRow) -> bool:
    """Expire an open payment whose time is up (the worker may not have come by yet)."""
    if row.status in domain.OPEN and clock.now() >= row.expires_at:
        _close_challenges(row)
        _move(row, S.EXPIRED)
        save_changes(row)
        _emit(row, "payment.expired")
        return True
    return False


def _bind(user: Any, payment_id: str) -> Payment:
    """The payment for this buyer, bound to them on first open; expired if its time is up."""
    return _payment(_bind_row(user, payment_id))


def _bind_row(user: Any, payment_id: str) -> PaymentRow:
    """:func:`_bind`'s row, with its platform (read with it, not again)."""
    _check_id(payment_id, errors.PaymentNotFound)
    if getattr(user, "pk", None) is None:
        raise errors.PaymentNotFound()

    def run() -> PaymentRow:
        row = _lock(payment_id)
        if not _is_buyer_of(user, row):
            raise errors.PaymentNotFound()
        if row.buyer_id is None:
            row.buyer = user
            row.save(update_fields=["buyer"])
        _expire_if_due(row)
        return row

    return run_in_transaction(run)


def _estimate(payment: Payment, user: Any) -> FxEstimate | None:
    target = preferred_currency(user)
    if target is None or target == payment.amount.currency:
        return None
    try:
        rate = fx.current_rate(payment.amount.currency, target)
    except Refusal:
        return None
    return FxEstimate(
        amount=fx_domain.convert(payment.amount, rate.rate, target),
        rate=rate.rate,
        as_of=rate.as_of,
    )


def cashier(user: Any, payment_id: str) -> Cashier:
    """What the cashier page shows. Raises PaymentNotFound (another buyer's payment, or one
    meant for another account at the shop) or PaymentNotOpen (paid, canceled, expired, or
    waiting for the bank: its ``status`` says which)."""
    row = _bind_row(user, payment_id)
    payment, platform = _payment(row), row.platform
    if not payment.is_open:
        raise errors.PaymentNotOpen(payment.status)
    registered = credentials.has_payment_password(user)
    balance: Money | None = None
    options: tuple[BalanceOption, ...] = ()
    if accounts.balance_policy(platform).enabled:
        ref = ledger_domain.buyer(accounts.balance_owner(user), payment.amount.currency)
        balance = ledger.balance(ref)
        if registered:  # paying from the balance needs the payment password
            options = _balance_options(user, payment.amount, balance)
    return Cashier(
        payment=payment,
        shop_name=platform.name,
        cards=vault.list_cards(user) if registered else [],
        can_use_saved_cards=registered,
        balance=balance,
        fx_estimate=_estimate(payment, user),
        attempts_left=credentials.attempts_left(user),
        locked_until=credentials.lock_state(user),
        balance_options=options,
    )


def _balance_options(user: Any, amount: Money, own: Money) -> tuple[BalanceOption, ...]:
    """Every balance that covers `amount`: its own currency as it is, each other one at a
    quote locked now for exactly `amount` (a balance too small, or a pair without a fresh
    rate, is not offered)."""
    options = [BalanceOption(balance=own, take=amount)] if own >= amount else []
    owner = accounts.balance_owner(user)
    for held in accounts.balances_of(user):
        if held.currency == amount.currency or held.minor <= 0:
            continue
        try:
            quoted = fx.quote_to_receive(owner, amount, held.currency)
        except Refusal:
            continue
        if quoted.sell <= held:
            options.append(
                BalanceOption(held, quoted.sell, quoted.id, quoted.rate, quoted.expires_at)
            )
    return tuple(options)


def _open_for(user: Any, payment_id: str) -> Payment:
    payment = _bind(user, payment_id)
    if not payment.is_open:
        raise errors.PaymentNotOpen(payment.status)
    return payment


def _payable(user: Any, payment_id: str) -> PaymentRow:
    """The open payment this buyer may pay, as :func:`_open_for` decides, in one read
    without a lock when it is bound to them already and not due to expire (the attempt's
    transaction locks it and checks it all again); otherwise through :func:`_bind_row`."""
    _check_id(payment_id, errors.PaymentNotFound)
    if getattr(user, "pk", None) is None:
        raise errors.PaymentNotFound()
    row = _rows().filter(id=payment_id).first()
    if row is None:
        raise errors.PaymentNotFound()
    if row.buyer_id is None or (row.status in domain.OPEN and clock.now() >= row.expires_at):
        row = _bind_row(user, payment_id)
    elif row.buyer_id != user.pk:
        raise errors.PaymentNotFound()
    if row.status not in domain.OPEN:
        raise errors.PaymentNotOpen(PaymentStatus(row.status))
    return row


@dataclass(frozen=True)
class _Begun:
    """An authorization attempt recorded and committed: what its network call needs."""

    attempt_id: str
    idempotency_key: str
    payment_id: str
    amount: Money
    shop: str  # the platform's name, as the bank's page shows it


def _begin_authorize(
    user: Any,
    payment_id: str,
    method: PaymentMethodSummary,
    card_id: str,
    redeem: Callable[[], None] | None,
) -> _Begun:
    """Record the authorization attempt (payment -> processing), committed before the call."""

    def run() -> _Begun:
        row = _lock(payment_id)
        if not _is_buyer_of(user, row):
            raise errors.PaymentNotFound()
        if _expire_if_due(row) or row.status not in domain.OPEN:
            raise errors.PaymentNotOpen(PaymentStatus(row.status))
        # A frozen wallet pays nothing; in a recovery's cool-off a payment above the limit
        # spends a fresh e-mail confirmation (zhifu.security; rolled back with the attempt).
        security.check_payment(user, Money(row.amount, row.currency))
        if redeem is not None:
            redeem()
        if row.status == S.REQUIRES_ACTION:  # only then has it a challenge open
            _close_challenges(row)  # a buyer back from an abandoned challenge tries again
        _move(row, S.PROCESSING)
        _set_method(row, method, card_id)
        row.failure_code = row.failure_message = ""
        save_changes(row)
        attempt_id = ids.new_id("att")
        attempt = _new_attempt(
            row,
            Attempt.AUTHORIZE,
            domain.authorize_key(attempt_id),
            row.amount,
            attempt_id=attempt_id,
        )
        _emit(row, "payment.processing")
        return _Begun(
            attempt.id, attempt.idempotency_key, row.id, _amount(attempt), row.platform.name
        )

    return run_in_transaction(run)


def _set_method(row: PaymentRow, method: PaymentMethodSummary, card_id: str) -> None:
    row.method_type = method.type
    row.card_id = card_id
    row.card_brand = method.card_brand
    row.card_last4 = method.card_last4
    row.card_exp_month = method.card_exp_month
    row.card_exp_year = method.card_exp_year


def pay_with_saved_card(user: Any, payment_id: str, *, card_id: str, step_up: StepUp) -> Outcome:
    """Pay with a saved card, confirmed by the payment password (``step_up`` for
    :func:`pay_action`; spent in the transaction that records the attempt, before the card
    is revealed and the network asked)."""
    _open_for(user, payment_id)
    return _pay_saved(user, payment_id, card_id, step_up)


@sensitive_variables("pin")
def confirm_saved_card(user: Any, payment_id: str, *, card_id: str, pin: str) -> Outcome:
    """The cashier's saved-card form: the payment checked first (a payment that is not the
    buyer's or not open costs no payment-password attempt), then the payment password
    (``credentials.step_up``, counted), then :func:`pay_with_saved_card`'s payment, the
    payment read once before the attempt's transaction locks it."""
    _payable(user, payment_id)
    proof = credentials.step_up(user, pin, pay_action(payment_id))
    return _pay_saved(user, payment_id, card_id, proof)


@sensitive_variables("details")
def _pay_saved(user: Any, payment_id: str, card_id: str, step_up: StepUp) -> Outcome:
    action = pay_action(payment_id)
    chosen = vault.card_for_payment(user, card_id)  # another buyer's card: CardNotFound
    card = chosen.card
    method = PaymentMethodSummary(
        "card", card.scheme_name, card.last4, card.expiry.month, card.expiry.year
    )
    begun = _begin_authorize(
        user,
        payment_id,
        method,
        card.id,
        lambda: credentials.redeem_step_up(user, step_up, action),
    )
    try:  # revealed only once the proof is spent
        details = chosen.reveal(purpose=f"payment {payment_id}")
    except Exception:
        _settle_not_sent(begun.attempt_id, "card_not_revealed")  # nothing was sent
        raise
    return _authorize(begun, details, lambda code: code)


@sensitive_variables("card", "valid", "number", "details")
def pay_with_new_card(
    user: Any, payment_id: str, *, card: vault.CardInput, save: bool, client_ip: str
) -> Outcome:
    """Pay with a card typed in (its CVC goes to the network once, nowhere else), counted
    against the vault's card-check limits; ``save`` keeps it in the wallet once authorized
    (fully registered buyers only)."""
    _open_for(user, payment_id)
    if save and not credentials.has_payment_password(user):
        raise errors.SaveNeedsRegistration(param="save")
    valid = vault.validate(card)  # InvalidCardInput, field by field
    ticket = vault.reserve_card_attempt(user, card.number, client_ip=client_ip)
    number = valid.number
    method = PaymentMethodSummary(
        "card",
        vault_domain.RULES[number.scheme].display_name,
        number.last4,
        valid.expiry.month,
        valid.expiry.year,
    )
    details = port.CardDetails(
        number=number.digits,
        exp_month=valid.expiry.month,
        exp_year=valid.expiry.year,
        cvc=valid.cvc,
        holder_name=valid.holder_name,
    )
    del valid
    begun = _begin_authorize(user, payment_id, method, "", None)
    outcome = _authorize(
        begun, details, lambda code: vault.card_declined(ticket, code).decline_code
    )
    del details
    if save and isinstance(outcome, Paid):
        _save_card(user, card, outcome.payment)
    return outcome


@sensitive_variables("card")
def _save_card(user: Any, card: vault.CardInput, payment: Payment) -> None:
    """Keep the card the buyer just paid with; a failure here never undoes the payment."""
    row = PaymentRow.objects.filter(id=payment.id).only("authorization").first()
    try:
        saved = vault.save_paid_card(
            user,
            card,
            network_reference=row.authorization if row else "",
            email=getattr(user, "email", None),
        )
    except Refusal as exc:
        log.warning("payments.card_not_saved", payment=payment.id, error=exc.code)
        return
    if saved is not None:
        PaymentRow.objects.filter(id=payment.id).update(card_id=saved.id)


def pay_with_balance(
    user: Any, payment_id: str, *, step_up: StepUp, quote_id: str | None = None
) -> Outcome:
    """Pay from the wallet balance (where the platform has it on), confirmed by the payment
    password. No network: one transaction. With `quote_id` (a quote of this buyer's for
    exactly the payment's amount, `fx.quote_to_receive`) the balance in the quote's other
    currency is converted first, in the same transaction as the hold: both or neither."""
    _open_for(user, payment_id)
    return _pay_balance(user, payment_id, step_up, quote_id)


@sensitive_variables("pin")
def confirm_balance(
    user: Any, payment_id: str, *, pin: str, quote_id: str | None = None
) -> Outcome:
    """The cashier's balance form, as :func:`confirm_saved_card`: the payment (and the
    platform's balance switch) checked first, then the payment password, then
    :func:`pay_with_balance`'s transaction."""
    row = _payable(user, payment_id)
    if not accounts.balance_policy(row.platform).enabled:
        raise errors.BalanceUnavailable()
    proof = credentials.step_up(user, pin, pay_action(payment_id))
    return _pay_balance(user, payment_id, proof, quote_id)


def _pay_balance(user: Any, payment_id: str, step_up: StepUp, quote_id: str | None) -> Outcome:
    action = pay_action(payment_id)

    def run() -> Payment:
        row = _lock(payment_id)
        if not _is_buyer_of(user, row):
            raise errors.PaymentNotFound()
        policy = accounts.balance_policy(row.platform)
        if not policy.enabled:
            raise errors.BalanceUnavailable()
        if _expire_if_due(row) or row.status not in domain.OPEN:
            raise errors.PaymentNotOpen(PaymentStatus(row.status))
        security.check_payment(user, Money(row.amount, row.currency))  # as _begin_authorize
        credentials.redeem_step_up(user, step_up, action)
        if row.status == S.REQUIRES_ACTION:  # as _begin_authorize
            _close_challenges(row)
        _move(row, S.PROCESSING)
        _set_method(row, PaymentMethodSummary("balance"), "")
        row.failure_code = row.failure_message = ""
        amount = Money(row.amount, row.currency)
        owner = accounts.balance_owner(user)
        if quote_id is not None:
            _convert_for(policy, owner, quote_id, row.id, amount)
        try:
            ledger.hold_payment(
                f"{row.id}:hold",
                amount,
                buyer_owner=owner,
                policy=policy,
            )
        except ledger_errors.InsufficientFunds:
            raise errors.BalanceInsufficient() from None
        row.amount_capturable = row.amount
        _authorized(row)
        return _payment(row)

    return Paid(run_in_transaction(run))


def _convert_for(
    policy: ledger_domain.BalancePolicy, owner: str, quote_id: str, payment_id: str, amount: Money
) -> None:
    """The FX entry `<pay>:fx` of a payment from another currency's balance, inside the
    payment's transaction (a refusal raised later rolls it back with everything else)."""
    _check_id(quote_id, errors.ExchangeInvalid)
    try:
        fx.convert_within(policy, owner, quote_id, f"{payment_id}:fx", receive=amount)
    except fx_errors.QuoteExpired:
        raise errors.ExchangeExpired(param="quote") from None
    except (fx_errors.QuoteNotFound, fx_errors.QuoteUsed, fx_errors.QuoteMismatch):
        raise errors.ExchangeInvalid(param="quote") from None
    except ledger_errors.InsufficientFunds:
        raise errors.BalanceInsufficient() from None


def complete_challenge(user: Any, payment_id: str, *, answer: str) -> Outcome:
    """The buyer is back from the bank's challenge page with its answer."""
    _check_id(payment_id, errors.PaymentNotFound)

    def begin() -> PaymentAttempt:
        row = _lock(payment_id)
        if not _is_buyer_of(user, row) or row.buyer_id is None:
            raise errors.PaymentNotFound()
        if _expire_if_due(row) or row.status != S.REQUIRES_ACTION:
            raise errors.PaymentNotOpen(PaymentStatus(row.status))
        attempt = row.attempts.filter(state=AttemptState.CHALLENGE).order_by("-created_at").first()
        if attempt is None:  # pragma: no cover - requires_action always has one
            raise errors.PaymentStateInvalid(PaymentStatus(row.status))
        _move(row, S.PROCESSING)
        save_changes(row)
        # Open again: a lost answer is settled by reconcile from the authorization's status.
        attempt.state = AttemptState.OPEN
        attempt.save(update_fields=["state"])
        _emit(row, "payment.processing")
        return attempt

    attempt = run_in_transaction(begin)
    try:
        result = _network().complete_challenge(
            port.CompleteChallengeRequest(
                idempotency_key=domain.challenge_key(attempt.id),
                reference=attempt.network_reference,
                answer=answer,
            )
        )
    except port.ChallengeInvalid:
        _reopen_challenge(attempt.id)
        raise errors.ChallengeFailed(param="answer") from None
    except port.Refused as exc:
        _settle_declined(attempt.id, exc.decline_code)
        raise errors.PaymentDeclined(exc.decline_code) from None
    except port.OutcomeUnknown:
        return Pending(_payment(_rows().get(id=payment_id)))
    except port.NetworkUnavailable:
        _reopen_challenge(attempt.id)
        raise errors.PaymentNetworkUnavailable() from None
    return _after_authorization(
        attempt.id, NetworkStatus.AUTHORIZED, result.reference or attempt.network_reference, ""
    )


def _reopen_challenge(attempt_id: str) -> None:
    """The answer could not be used: the challenge stays open for another try."""

    def run() -> None:
        attempt = PaymentAttempt.objects.get(id=attempt_id)
        row = _lock(attempt.payment_id)
        attempt = PaymentAttempt.objects.get(id=attempt_id)
        if attempt.state != AttemptState.OPEN or row.status != S.PROCESSING:
            return
        attempt.state = AttemptState.CHALLENGE
        attempt.save(update_fields=["state"])
        _move(row, S.REQUIRES_ACTION)
        save_changes(row)
        _emit(row, "payment.requires_action")

    run_in_transaction(run)


def receipt(user: Any, payment_id: str) -> Payment:
    """The buyer's own payment, whatever its state; anyone else's is not found."""
    _check_id(payment_id, errors.PaymentNotFound)
    row = _rows().filter(id=payment_id, buyer_id=getattr(user, "pk", None)).first()
    if row is None or getattr(user, "pk", None) is None:
        raise errors.PaymentNotFound()
    return _payment(row)


def history(user: Any, *, cursor: str | None = None, limit: int = 20) -> Page[Payment]:
    """The buyer's payments, newest first; only their own."""
    if getattr(user, "pk", None) is None:
        return Page()
    return _page(_rows().filter(buyer_id=user.pk), limit, cursor, _payment)


def refunds_of(user: Any, payments: list[Payment]) -> dict[str, domain.RefundTotals]:
    """What was refunded of the buyer's own payments among ``payments``, by payment id; a
    payment with nothing refunded or pending is left out (one query for a page of them)."""
    received = {p.id: p.amount_received for p in payments if p.amount_refunded}
    if not received or getattr(user, "pk", None) is None:
        return {}
    found: dict[str, dict[str, Any]] = {}
    rows = (
        RefundRow.objects.filter(payment_id__in=list(received), payment__buyer_id=user.pk)
        .exclude(status=RefundStatus.FAILED.value)
        .values_list("payment_id", "currency", "status")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    for payment_id, currency, status, total, count in rows:
        sums = found.setdefault(
            payment_id, {"currency": currency, "received": received[payment_id]}
        )
        if status == RefundStatus.SUCCEEDED.value:
            sums.update(refunded=total, count=count)
        else:
            sums["pending"] = total
    return {payment_id: domain.RefundTotals(**sums) for payment_id, sums in found.items()}


def shop_names(payments: list[Payment]) -> dict[str, str]:
    """The shops' names of some payments, by platform slug (for the history page)."""
    slugs = {p.platform_slug for p in payments}
    named = {p.slug: p.name for p in accounts.active_platforms() if p.slug in slugs}
    return {slug: named.get(slug, slug) for slug in slugs}


def platform_of(payment_id: str) -> str | None:
    """The slug of the shop a payment was made at, or None for an unknown id: the cashier
    signs a buyer who is not signed in through that shop's provider, and back."""
    if not isinstance(payment_id, str) or not _ID.match(payment_id):
        return None
    row = _rows().filter(id=payment_id).only("platform__slug").first()
    return row.platform.slug if row is not None else None


def return_url_for(payment: Payment) -> str:
    return domain.return_url_for(payment)


# --- attempts and their settlement ----------------------------------------------------------


def _new_attempt(
    row: PaymentRow,
    kind: str,
    key: str,
    amount: int,
    *,
    attempt_id: str | None = None,
    refund: RefundRow | None = None,
    purpose: str = "",
) -> PaymentAttempt:
    return insert(
        PaymentAttempt(
            id=attempt_id or ids.new_id("att"),
            payment=row,
            refund=refund,
            purpose=purpose,
            kind=kind,
            idempotency_key=key,
            state=AttemptState.OPEN,
            amount=amount,
            currency=row.currency,
            method_type=row.method_type,
            card_id=row.card_id,
            network_reference=row.authorization if kind != Attempt.AUTHORIZE else "",
            created_at=clock.now(),
        )
    )


def _open_attempt(row: PaymentRow, kind: str) -> PaymentAttempt | None:
    return row.attempts.filter(kind=kind, state=AttemptState.OPEN).first()


def _close_challenges(row: PaymentRow) -> None:
    """Abandon the payment's open challenge (cancelled, expired, or the buyer paid another
    way). Nothing is held for it in the ledger; once this commits, the network is asked to
    void the challenged authorization, so a late "confirm" on the bank's page holds nothing
    on the buyer's card."""
    abandoned = list(
        row.attempts.filter(state=AttemptState.CHALLENGE).values_list("id", "network_reference")
    )
    if not abandoned:
        return
    row.attempts.filter(state=AttemptState.CHALLENGE).update(
        state=AttemptState.FAILED, settled_at=clock.now()
    )
    transaction.on_commit(lambda: _void_abandoned(abandoned))


def _void_abandoned(abandoned: list[tuple[str, str]]) -> None:
    """Best effort: an authorization left under challenge lapses at the network anyway."""
    for attempt_id, reference in abandoned:
        try:
            _network().void(
                port.VoidRequest(
                    idempotency_key=domain.abandon_key(attempt_id), authorization=reference
                )
            )
        except port.NetworkError as exc:
            log.info("payments.challenge_void_failed", attempt=attempt_id, error=exc.code)


# Every settlement's two reads, their SQL built once (zhifu.db.CompiledQuery).
_LOCK_BY_ATTEMPT = CompiledQuery(
    lambda attempt_id: (
        _rows().select_for_update(of=("self",)).filter(attempts__id=attempt_id).order_by("pk")[:1]
    )
)
_ATTEMPT = CompiledQuery(lambda attempt_id: PaymentAttempt.objects.filter(id=attempt_id)[:1])


def _lock_open(attempt_id: str) -> tuple[PaymentRow, PaymentAttempt] | None:
    """The payment (locked) and its attempt, if the attempt is still open; else None
    (settled already, by the live request or by reconcile)."""
    # The payment found through its attempt and locked in one statement (an attempt never
    # changes payment), then the attempt read again under that lock.
    rows = _LOCK_BY_ATTEMPT.fetch(attempt_id)
    attempts = _ATTEMPT.fetch(attempt_id) if rows else []
    if not attempts:
        raise PaymentAttempt.DoesNotExist(attempt_id)
    row, attempt = rows[0], attempts[0]
    if attempt.state != AttemptState.OPEN:
        return None
    return row, attempt


def _lock_and_close(attempt_id: str, state: str, **fields: Any) -> PaymentRow | None:
    """The payment (locked) once its attempt is closed as ``state`` here, if it was still
    open; else None (settled already). :func:`_lock_open` and :func:`_finish` in one
    statement less, for a caller that knows the attempt's fixed fields (kind, amount): the
    state is tested by the UPDATE itself, under the payment's lock, so of two settlers
    exactly one closes it."""
    rows = _LOCK_BY_ATTEMPT.fetch(attempt_id)
    if not rows:
        raise PaymentAttempt.DoesNotExist(attempt_id)
    closed = update_where(
        PaymentAttempt,
        attempt_id,
        {"state": state, "settled_at": clock.now(), **fields},
        {"state": AttemptState.OPEN},
    )
    return rows[0] if closed else None


def _finish(attempt: PaymentAttempt, state: str, **fields: Any) -> None:
    attempt.state = state
    attempt.settled_at = clock.now()
    for name, value in fields.items():
        setattr(attempt, name, value)
    save_changes(attempt)


def _current(attempt_id: str) -> Payment:
    attempt = PaymentAttempt.objects.get(id=attempt_id)
    return _payment(_rows().get(id=attempt.payment_id))


@sensitive_variables("card")
def _authorize(
    begun: _Begun, card: port.CardDetails, shown: Callable[[DeclineCode], DeclineCode]
) -> Outcome:
    """Send the authorization recorded by :func:`_begin_authorize` and settle what it
    answers."""
    attempt_id = begun.attempt_id
    try:
        result = _network().authorize(
            port.AuthorizeRequest(
                idempotency_key=begun.idempotency_key,
                card=card,
                amount=begun.amount,
                return_url=challenge_return_url(begun.payment_id),
                # The bank's page names the shop as the buyer's language writes it.
                merchant=shop_name(begun.shop),
            )
        )
    except port.Refused as exc:
        _settle_declined(attempt_id, exc.decline_code)
        raise errors.PaymentDeclined(shown(exc.decline_code)) from None
    except port.OutcomeUnknown:
        log.warning("payments.outcome_unknown", attempt=attempt_id, flow="authorize")
        return Pending(_current(attempt_id))
    except port.NetworkUnavailable as exc:
        _settle_not_sent(attempt_id, exc.code)
        raise errors.PaymentNetworkUnavailable() from None
    if result.status is NetworkStatus.AUTHORIZED and not _same_amount(
        attempt_id, begun.amount, result.amount
    ):
        _settle_declined(attempt_id, DeclineCode.OTHER)
        raise errors.PaymentDeclined(DeclineCode.OTHER)
    return _after_authorization(attempt_id, result.status, result.reference, result.challenge_url)


def _same_amount(attempt_id: str, asked: Money, amount: Money | None) -> bool:
    """A network that authorizes another amount than asked breaks the protocol: the payment
    is not held on a different sum than the network holds (settled as declined)."""
    if amount is None or amount == asked:
        return True
    log.error("payments.amount_mismatch", attempt=attempt_id, authorized=str(amount))
    return False


def _after_authorization(
    attempt_id: str, status: NetworkStatus, reference: str, challenge_url: str
) -> Outcome:
    if status is NetworkStatus.PENDING:
        return Pending(_current(attempt_id))
    if status is NetworkStatus.CHALLENGE:
        return _settle_challenge(attempt_id, reference, challenge_url)
    if status not in {NetworkStatus.AUTHORIZED, NetworkStatus.APPROVED}:
        raise ValueError(f"an authorization cannot answer {status}")
    capture = _settle_authorized(attempt_id, reference)
    payment = _send_capture(capture.id, capture) if capture is not None else _current(attempt_id)
    if payment.status in {S.SUCCEEDED, S.REQUIRES_CAPTURE}:
        return Paid(payment)
    return Pending(payment)


def _authorized(row: PaymentRow) -> None:
    """An authorized payment: wait for the shop's capture, or (automatic) capture now if no
    network call is needed (a balance payment)."""
    if row.capture_method == CaptureMethod.MANUAL:
        _move(row, S.REQUIRES_CAPTURE)
        save_changes(row)
        _emit(row, "payment.requires_capture")
        return
    _capture_now(row, row.amount_capturable)


def _capture_now(row: PaymentRow, amount: int) -> None:
    """Settle a capture in this transaction: the ledger, the amounts, the event."""
    ledger.capture_hold(f"{row.id}:capture", _merchant(row), Money(amount, row.currency))
    rest = row.amount_capturable - amount
    if rest:
        ledger.release_hold(
            f"{row.id}:release", Money(rest, row.currency), buyer_owner=_buyer_owner(row)
        )
    row.amount_received = amount
    row.amount_capturable = 0
    _move(row, S.SUCCEEDED)
    save_changes(row)
    _emit(row, "payment.succeeded")


def _release_now(row: PaymentRow, target: PaymentStatus) -> None:
    if row.amount_capturable:
        ledger.release_hold(
            f"{row.id}:release",
            Money(row.amount_capturable, row.currency),
            buyer_owner=_buyer_owner(row),
        )
    row.amount_capturable = 0
    _move(row, target)
    save_changes(row)
    _emit(row, f"payment.{target.value}")


def _settle_authorized(attempt_id: str, reference: str) -> PaymentAttempt | None:
    """Hold the money; returns the capture attempt to send (automatic capture) or None."""

    def run() -> PaymentAttempt | None:
        row = _lock_and_close(attempt_id, AttemptState.SUCCEEDED, network_reference=reference[:64])
        if row is None:
            return None
        row.authorization = reference[:64]
        row.challenge_url = ""
        ledger.hold_payment(f"{row.id}:hold", Money(row.amount, row.currency), network=NETWORK)
        row.amount_capturable = row.amount
        if row.capture_method == CaptureMethod.MANUAL:
            _move(row, S.REQUIRES_CAPTURE)
            save_changes(row)
            _emit(row, "payment.requires_capture")
            return None
        save_changes(row)  # still processing: the capture is next
        return _new_attempt(row, Attempt.CAPTURE, domain.capture_key(row.id), row.amount)

    return run_in_transaction(run)


def _settle_challenge(attempt_id: str, reference: str, url: str) -> Outcome:
    def run() -> Outcome:
        found = _lock_open(attempt_id)
        if found is None:
            return Pending(_current(attempt_id))
        row, attempt = found
        attempt.state = AttemptState.CHALLENGE
        attempt.network_reference = reference[:64]
        save_changes(attempt)
        _move(row, S.REQUIRES_ACTION)
        row.challenge_url = url
        save_changes(row)
        _emit(row, "payment.requires_action")
        return ChallengeRequired(_payment(row), url)

    return run_in_transaction(run)


def _settle_declined(attempt_id: str, code: DeclineCode) -> None:
    def run() -> None:
        found = _lock_open(attempt_id)
        if found is None:
            return
        row, attempt = found
        _finish(attempt, AttemptState.FAILED, decline_code=code.value)
        row.declines += 1
        row.failure_code = code.value
        row.failure_message = errors.DECLINES_EN[code]
        _move(row, domain.after_decline(row.declines))
        save_changes(row)
        _emit(row, "payment.failed")

    run_in_transaction(run)


def _settle_not_sent(attempt_id: str, code: str) -> None:
    """Nothing reached the network: the buyer may try again."""

    def run() -> None:
        found = _lock_open(attempt_id)
        if found is None:
            return
        row, attempt = found
        _finish(attempt, AttemptState.FAILED, decline_code="")
        row.failure_code = errors.PaymentsCode.NETWORK_UNAVAILABLE.value
        row.failure_message = "The card network could not be reached; nothing was charged."
        _move(row, S.REQUIRES_PAYMENT_METHOD)
        save_changes(row)
        _emit(row, "payment.failed")
        log.warning("payments.network_unavailable", attempt=attempt.id, error=code)

    run_in_transaction(run)


# --- captures, voids, refunds -------------------------------------------------------------


def _ask(attempt: PaymentAttempt, send: Callable[[], Any]) -> Any:
    """The network's answer to an attempt's request: its result, the ``Refused`` it raised,
    or None while the outcome is not known (not sent, no answer, pending): the attempt stays
    open and a retry or reconcile sends the same request, under the same key, again."""
    try:
        result = send()
    except port.Refused as exc:
        return exc
    except port.NetworkError as exc:
        log.warning("payments.not_settled", attempt=attempt.id, flow=attempt.kind, error=exc.code)
        return None
    return None if result.status is NetworkStatus.PENDING else result


def _amount(attempt: PaymentAttempt) -> Money:
    return Money(attempt.amount, attempt.currency)


def _send_capture(attempt_id: str, attempt: PaymentAttempt | None = None) -> Payment:
    """Send the capture recorded as ``attempt_id`` (``attempt``: its row, if the caller
    has just written or read it) and settle what the network answers."""
    attempt = attempt or PaymentAttempt.objects.get(id=attempt_id)
    answer = _ask(
        attempt,
        lambda: _network().capture(
            port.CaptureRequest(
                idempotency_key=attempt.idempotency_key,
                authorization=attempt.network_reference,
                amount=_amount(attempt),
            )
        ),
    )
    if answer is None:
        return _current(attempt_id)
    return _settle(attempt, answer)


def _begin_void(row: PaymentRow, purpose: str) -> PaymentAttempt:
    _move(row, S.PROCESSING)
    save_changes(row)
    attempt = _new_attempt(
        row, Attempt.VOID, domain.void_key(row.id), row.amount_capturable, purpose=purpose
    )
    _emit(row, "payment.processing")
    return attempt


_VOID_TARGET = {"cancel": S.CANCELED, "expire": S.EXPIRED}
# Why the shop's capture or cancel did not go through (English, for the API).
_REFUSED = {
    Attempt.CAPTURE: ("capture_declined", "The card network refused the capture."),
    Attempt.VOID: ("void_declined", "The card network refused to void the authorization."),
}


def _send_void(attempt_id: str) -> Payment:
    attempt = PaymentAttempt.objects.get(id=attempt_id)
    answer = _ask(
        attempt,
        lambda: _network().void(
            port.VoidRequest(
                idempotency_key=attempt.idempotency_key, authorization=attempt.network_reference
            )
        ),
    )
    if answer is None:
        return _current(attempt_id)
    return _settle(attempt, answer)


def _settle(attempt: PaymentAttempt, answer: Any) -> Payment:
    """Settle a capture or a void the network answered (a result, or Refused), once.
    ``attempt`` as read before the call: only its fixed fields (kind, amount, purpose) are
    used; whether it is still open is decided under the payment's lock."""
    refused = isinstance(answer, port.Refused)

    def run() -> Payment:
        if refused:
            code = answer.decline_code.value
            row = _lock_and_close(attempt.id, AttemptState.FAILED, decline_code=code)
        else:
            row = _lock_and_close(attempt.id, AttemptState.SUCCEEDED)
        if row is None:
            return _current(attempt.id)
        if refused:
            # Still authorized: the shop may try again, or cancel.
            row.failure_code, row.failure_message = _REFUSED[Attempt(attempt.kind)]
            _move(row, S.REQUIRES_CAPTURE)
            save_changes(row)
            _emit(row, "payment.requires_capture")
        elif attempt.kind == Attempt.CAPTURE:
            _capture_now(row, attempt.amount)
        else:
            _release_now(row, _VOID_TARGET[attempt.purpose])
        return _payment(row)

    return run_in_transaction(run)


def _send_refund(attempt_id: str, attempt: PaymentAttempt | None = None) -> Refund:
    attempt = attempt or PaymentAttempt.objects.get(id=attempt_id)
    answer = _ask(
        attempt,
        lambda: _network().refund(
            port.RefundRequest(
                idempotency_key=attempt.idempotency_key,
                authorization=attempt.network_reference,
                amount=_amount(attempt),
            )
        ),
    )
    if answer is None:
        return _refund(RefundRow.objects.get(id=attempt.refund_id))
    return _settle_refund(attempt_id, answer)


def _settle_refund(attempt_id: str, answer: Any) -> Refund:
    def run() -> Refund:
        found = _lock_open(attempt_id)
        if found is None:
            refund_id = PaymentAttempt.objects.values_list("refund_id", flat=True).get(
                id=attempt_id
            )
            return _refund(RefundRow.objects.select_for_update().get(id=refund_id))
        row, attempt = found
        refund = RefundRow.objects.select_for_update().get(id=attempt.refund_id)
        if isinstance(answer, port.Refused):
            _finish(attempt, AttemptState.FAILED, decline_code=answer.decline_code.value)
            row.amount_refunded -= refund.amount  # the reservation goes back
            save_changes(row)
            refund.status = RefundStatus.FAILED.value
            refund.failure_code = "refund_declined"
            save_changes(refund)
            _emit_refund(refund, row.platform.slug, "refund.failed")
            return _refund(refund)
        _finish(attempt, AttemptState.SUCCEEDED, network_reference=answer.reference[:64])
        ledger.refund_capture(
            f"{refund.id}:refund", _merchant(row), _amount(attempt), network=NETWORK
        )
        refund.status = RefundStatus.SUCCEEDED.value
        refund.network_reference = answer.reference[:64]
        save_changes(refund)
        _emit_refund(refund, row.platform.slug, "refund.succeeded")
        return _refund(refund)

    return run_in_transaction(run)


# --- expiry and reconciliation ----------------------------------------------------------------


def expire_due(*, limit: int = 500) -> int:
    """Expire unpaid payments whose time is up, and void authorizations left uncaptured
    past domain.CAPTURE_WINDOW (releasing their holds). Returns how many were handled."""
    now = clock.now()
    due = PaymentRow.objects.filter(
        Q(status__in=[s.value for s in domain.OPEN], expires_at__lte=now)
        | Q(status=S.REQUIRES_CAPTURE, expires_at__lte=now - domain.CAPTURE_WINDOW)
    ).values_list("id", flat=True)[:limit]
    handled = 0
    for payment_id in list(due):
        try:
            if _expire_one(payment_id, now):
                handled += 1
        except Refusal as exc:  # pragma: no cover - logged, retried next round
            log.warning("payments.expiry_failed", payment=payment_id, error=exc.code)
    return handled


def _expire_one(payment_id: str, now: dt.datetime) -> bool:
    def begin() -> str | bool | None:
        row = _lock(payment_id)
        if row.status in domain.OPEN:
            return _expire_if_due(row)
        if row.status != S.REQUIRES_CAPTURE or now < row.expires_at + domain.CAPTURE_WINDOW:
            return False  # changed meanwhile
        if row.method_type == "balance":
            _release_now(row, S.EXPIRED)
            return True
        return _begin_void(row, "expire").id

    outcome = run_in_transaction(begin)
    if isinstance(outcome, str):
        _send_void(outcome)
        return True
    return bool(outcome)


@dataclass
class ReconcileReport:
    checked: int = 0
    settled: int = 0
    still_open: int = 0


def reconcile(*, older_than: dt.timedelta = RECONCILE_AFTER, limit: int = 500) -> ReconcileReport:
    """Settle every attempt left open (a lost answer, a crash after the call), once."""
    cutoff = clock.now() - older_than
    report = ReconcileReport()
    open_ids = list(
        PaymentAttempt.objects.filter(state=AttemptState.OPEN, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("id", flat=True)[:limit]
    )
    for attempt_id in open_ids:
        report.checked += 1
        try:
            settled = _reconcile_one(attempt_id)
        except Refusal as exc:
            log.warning("payments.reconcile_failed", attempt=attempt_id, error=exc.code)
            settled = False
        if settled:
            report.settled += 1
        else:
            report.still_open += 1
    log.info("payments.reconciled", **vars(report))
    return report


def _still_open(attempt_id: str) -> bool:
    return PaymentAttempt.objects.filter(id=attempt_id, state=AttemptState.OPEN).exists()


def _reconcile_one(attempt_id: str) -> bool:
    attempt = PaymentAttempt.objects.get(id=attempt_id)
    if attempt.kind == Attempt.CAPTURE:
        _send_capture(attempt_id)  # the same key: the network captures once
    elif attempt.kind == Attempt.VOID:
        _send_void(attempt_id)
    elif attempt.kind == Attempt.REFUND:
        _send_refund(attempt_id)
    else:
        _reconcile_authorization(attempt)
    return not _still_open(attempt_id)


def _reconcile_authorization(attempt: PaymentAttempt) -> None:
    try:
        status = _network().status(port.StatusRequest(idempotency_key=attempt.idempotency_key))
    except port.OutcomeUnknown:
        return
    except port.NetworkUnavailable:
        if clock.now() - attempt.created_at >= NEVER_ARRIVED_AFTER:
            _settle_not_sent(attempt.id, "never_arrived")  # the network never heard of it
        return
    if status.status is NetworkStatus.DECLINED:
        _settle_declined(attempt.id, status.decline_code or DeclineCode.OTHER)
        return
    if status.status in {NetworkStatus.AUTHORIZED, NetworkStatus.APPROVED}:
        if not _same_amount(attempt.id, _amount(attempt), status.amount):
            _settle_declined(attempt.id, DeclineCode.OTHER)
            return
        _after_authorization(attempt.id, NetworkStatus.AUTHORIZED, status.reference, "")
        return
    if status.status is NetworkStatus.CAPTURED:  # pragma: no cover - a network's shortcut
        _after_authorization(attempt.id, NetworkStatus.AUTHORIZED, status.reference, "")
        return
    if status.status is NetworkStatus.CHALLENGE:
        _settle_challenge(attempt.id, status.reference, "")
