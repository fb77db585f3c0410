"""Paying for orders through the zhifu wallet, with the SDK (docs/shop-checkout.md).

The shop creates a payment per attempt (order_reference = the order's number, the buyer's
subject at this shop as buyer_reference, the order's page as return_url), sends the buyer
to the cashier, and marks the order paid only when a verified webhook says the payment
succeeded: the buyer's return to the order page proves nothing. Failed, expired or
canceled payments leave the order awaiting payment, and the next attempt is a new payment.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhifu.client import (
    Client,
    ConflictError,
    Event,
    Payment,
    Refund,
    WebhookVerificationError,
    ZhifuError,
    verify_webhook,
)
from zhifu.kernel import clock
from zhifu.kernel.money import Money, MoneyError
from zhifu.marketplace import domain, services, wallet
from zhifu.marketplace.errors import (
    OrderNotCancellable,
    OrderNotFound,
    OrderNotPayable,
    PaymentsUnavailable,
    RefundInvalid,
    RefundRefused,
    StaffOnly,
)
from zhifu.marketplace.models import Buyer, Order, OrderRefund, WebhookReceipt

logger = logging.getLogger(__name__)

# The wallet's payment statuses as the shop sees them.
OPEN = frozenset({"requires_payment_method", "requires_action"})
SETTLING = frozenset({"processing", "requires_capture", "succeeded"})
OVER = frozenset({"failed", "expired", "canceled"})


class PaymentState(StrEnum):
    NONE = "none"  # no attempt yet: "Pay"
    OPEN = "open"  # an attempt the buyer can go on with: "Continue to payment"
    CONFIRMING = "confirming"  # paid at the wallet, the webhook not here yet
    RETRY = "retry"  # the attempt failed or expired: "Try again"
    PAID = "paid"
    UNKNOWN = "unknown"  # the wallet did not answer


def _client() -> Client:
    client = wallet.client()
    if client is None:
        raise PaymentsUnavailable
    return client


def _awaiting(order: Order) -> bool:
    return domain.OrderStatus(order.status) is domain.OrderStatus.AWAITING_PAYMENT


def payment_state(order: Order, *, returned: bool = False) -> PaymentState:
    """What the order's page offers. Reads the payment at the wallet (never to mark paid)."""
    if order.paid_at is not None or not _awaiting(order):
        return PaymentState.PAID if order.paid_at is not None else PaymentState.NONE
    if not order.payment_id:
        return PaymentState.NONE
    try:
        payment = _client().payments.retrieve(order.payment_id)
    except (ZhifuError, PaymentsUnavailable):
        return PaymentState.CONFIRMING if returned else PaymentState.UNKNOWN
    if payment.status in SETTLING:
        return PaymentState.CONFIRMING
    if payment.status in OVER:
        return PaymentState.RETRY
    return PaymentState.OPEN


def start_payment(buyer: Buyer, number: str, return_url: str) -> str:
    """The cashier URL where the buyer pays the order: the open attempt's, else a new one's.

    The wallet call runs outside any transaction. Its idempotency key names the order and
    the attempt, so a double click (or a retry) makes one payment, not two.
    """
    order = Order.objects.filter(buyer=buyer, number=number).first()
    if order is None:
        raise OrderNotFound(param="number")
    if not _awaiting(order):
        raise OrderNotPayable(param="number")
    client = _client()
    attempt = order.payment_attempt
    try:
        if order.payment_id:
            current = client.payments.retrieve(order.payment_id)
            if current.status in OPEN:
                return current.cashier_url
            if current.status in SETTLING:
                raise OrderNotPayable(param="number")
        attempt += 1
        payment = client.payments.create(
            amount=order.total_minor,
            currency=order.currency,
            order_reference=order.number,
            return_url=return_url,
            description=_description(order),
            buyer_reference=buyer.public_id,
            metadata={"attempt": str(attempt)},
            idempotency_key=f"order-{order.number}-attempt-{attempt}",
        )
    except ZhifuError as exc:
        logger.warning("creating the payment of order %s failed: %s", order.number, exc.code)
        raise PaymentsUnavailable from exc
    # Recorded only if no other request recorded this attempt meanwhile, and only while the
    # order still awaits payment: one cancelled meanwhile gets its new payment cancelled.
    recorded = Order.objects.filter(
        pk=order.pk, payment_attempt=attempt - 1, status=Order.Status.AWAITING_PAYMENT
    ).update(payment_id=payment.id, payment_attempt=attempt, updated_at=clock.now())
    if not recorded and not Order.objects.filter(pk=order.pk, status=order.status).exists():
        try:
            client.payments.cancel(payment.id)
        except ZhifuError as exc:  # it expires unpaid in the wallet's time
            logger.warning("cancelling payment %s of a cancelled order: %s", payment.id, exc.code)
        raise OrderNotPayable(param="number")
    return payment.cashier_url


# --- cancelling --------------------------------------------------------------------------

_CONFIRMING = _(
    "Your payment is being confirmed, so the order cannot be cancelled right now. Try again "
    "in a minute."
)
# What a cancel answers once done: over, or the authorization's void on its way (the
# wallet releases the hold when the network answers; reconcile sees to it).
_CANCELLED = OVER | {"processing"}


def cancel_order(buyer: Buyer, number: str) -> Order:
    """Cancel the buyer's order, its payment at the wallet first, so that nothing is paid
    for an order that no longer exists: an unpaid payment is cancelled (its cashier link
    stops working), an authorized one voided (the hold released), and a paid order's money
    refunded, all of what is left. The order is cancelled only once the wallet has agreed;
    while a payment is being confirmed it cannot be, and the buyer is told to wait.
    """
    for _look in range(3):  # a new attempt started meanwhile is looked at again
        order = Order.objects.filter(buyer=buyer, number=number).first()
        if order is None:
            raise OrderNotFound(param="number")
        if not domain.can_cancel(domain.OrderStatus(order.status)):
            raise OrderNotCancellable(param="number")
        if order.payment_id:
            _undo_payment(order)
        done = services.cancel_order(buyer, number, attempt=order.payment_attempt)
        if done is not None:
            return done
    raise PaymentsUnavailable


def _undo_payment(order: Order) -> None:
    client = _client()
    try:
        payment = client.payments.retrieve(order.payment_id)
        if payment.status == "succeeded" and order.paid_at is not None:
            left = payment.amount_received - payment.amount_refunded
            if left > 0:
                made = _send_refund(client, order, left)
                _record_refund(order.pk, made)
                if made.status == domain.RefundStatus.FAILED:
                    raise PaymentsUnavailable  # the money is still the shop's: not cancelled
            return
        if payment.status in OVER:
            return
        if payment.status not in OPEN and payment.status != "requires_capture":
            # In flight at the network, or paid but not confirmed to the shop yet.
            raise OrderNotCancellable(_CONFIRMING, param="number")
        payment = client.payments.cancel(payment.id)
    except ConflictError as exc:  # it moved on meanwhile (paid, or a capture in flight)
        raise OrderNotCancellable(_CONFIRMING, param="number") from exc
    except ZhifuError as exc:
        logger.warning("cancelling the payment of order %s failed: %s", order.number, exc.code)
        raise PaymentsUnavailable from exc
    if payment.status not in _CANCELLED:  # a void the network refused: still held
        raise PaymentsUnavailable


def _description(order: Order) -> str:
    """What the cashier shows the buyer: the products, in the language the buyer is using
    the shop in (the request's) when paying."""
    language = get_language() or "en"
    names = [line.product.name(language) for line in order.lines.select_related("product")]
    return ", ".join(names)[: domain.PAYMENT_DESCRIPTION_MAX]


# --- webhooks ----------------------------------------------------------------------------


class WebhookOutcome(StrEnum):
    HANDLED = "handled"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


def receive_webhook(headers: Mapping[str, str], body: bytes) -> WebhookOutcome:
    """Verify, deduplicate by `webhook-id` and apply one webhook, in one transaction: a
    crash before the commit leaves neither the receipt nor the change, so the wallet's next
    delivery applies it. Raises WebhookVerificationError (the view answers 400)."""
    secret = wallet.webhook_secret()
    if secret is None:
        raise WebhookVerificationError("this shop has no webhook secret configured")
    event = verify_webhook(headers, body, secret.reveal())
    webhook_id = next(v for k, v in headers.items() if k.lower() == "webhook-id")
    with transaction.atomic():
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(webhook_id=webhook_id, event_type=event.type)
        except IntegrityError:
            return WebhookOutcome.DUPLICATE
        return _apply(event)


def _apply(event: Event) -> WebhookOutcome:
    if event.data.get("object") == "refund":
        return _apply_refund(event.refund())
    if event.data.get("object") != "payment" or event.data.get("status") != "succeeded":
        return WebhookOutcome.IGNORED
    payment = event.payment()
    order = Order.objects.select_for_update().filter(number=payment.order_reference).first()
    if order is None or order.paid_at is not None:
        return WebhookOutcome.IGNORED
    if payment.amount != order.total_minor or payment.currency != order.currency:
        logger.error("payment %s does not match order %s's total", payment.id, order.number)
        return WebhookOutcome.IGNORED
    if not _awaiting(order):
        # Paid after the buyer cancelled: the money is the buyer's, staff refunds it.
        logger.warning("order %s was paid by %s after it was cancelled", order.number, payment.id)
        return WebhookOutcome.IGNORED
    now = clock.now()
    order.status = Order.Status.PAID
    order.paid_at = now
    order.payment_id = payment.id
    order.updated_at = now
    order.save(update_fields=["status", "paid_at", "payment_id", "updated_at"])
    return WebhookOutcome.HANDLED


def _apply_refund(made: Refund) -> WebhookOutcome:
    """A `refund.*` event: the refund's status from the wallet, whoever made it."""
    order = Order.objects.filter(payment_id=made.payment, paid_at__isnull=False).first()
    if order is None or made.currency != order.currency:
        return WebhookOutcome.IGNORED
    return WebhookOutcome.HANDLED if _record_refund(order.pk, made) else WebhookOutcome.IGNORED


def _record_refund(order_pk: int, made: Refund) -> bool:
    """Record what the wallet says of one refund (its webhook or the SDK's answer, in any
    order, any number of times) and recount the order's sums from its refunds' rows;
    whether anything changed."""
    try:
        reported = domain.RefundStatus(made.status)
    except ValueError:
        return False
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_pk)
        row = OrderRefund.objects.filter(refund_id=made.id).first()
        if row is not None and row.order_id != order.pk:
            return False
        current = domain.RefundStatus(row.status) if row is not None else None
        status = domain.refund_status_after(current, reported)
        if status is current:
            return False
        now = clock.now()
        if row is None:
            row = OrderRefund(refund_id=made.id, order=order, amount_minor=made.amount)
        row.status = status.value
        row.updated_at = now
        row.save()
        sums = dict(
            order.refunds.values_list("status").annotate(total=Sum("amount_minor")).order_by()
        )
        order.refunded_minor = sums.get(domain.RefundStatus.SUCCEEDED.value) or 0
        order.refund_pending_minor = sums.get(domain.RefundStatus.PENDING.value) or 0
        if order.refunded_minor + order.refund_pending_minor > order.total_minor:
            logger.error("order %s has refunds over its total", order.number)
        order.updated_at = now
        order.save(update_fields=["refunded_minor", "refund_pending_minor", "updated_at"])
    return True


# --- refunds by the shop's staff ---------------------------------------------------------


@dataclass(frozen=True)
class StaffRow:
    order: Order
    refundable: Money


def paid_orders(staff: Buyer) -> list[StaffRow]:
    """Every paid order, newest first, for the staff's orders page."""
    _require_staff(staff)
    orders = Order.objects.filter(paid_at__isnull=False).select_related("buyer")[:200]
    return [StaffRow(o, o.refundable) for o in orders]


def _require_staff(user: Buyer) -> None:
    if not user.is_staff or not user.is_active:
        raise StaffOnly


def refund(staff: Buyer, number: str, amount_text: str = "") -> Refund:
    """Refund part (``amount_text`` in major units, "12.50") or, when it is empty, all that
    is left of a paid order; the refund as the wallet answered (succeeded, or pending at the
    card network). Raises RefundRefused when the network refused it at once.

    The idempotency key names the order and how much was refunded before, so submitting
    the same form twice refunds once.
    """
    _require_staff(staff)
    order = Order.objects.filter(number=number, paid_at__isnull=False).first()
    if order is None or not order.payment_id:
        raise RefundInvalid(param="number")
    left = order.refundable.minor
    try:
        amount = Money.parse(amount_text, order.currency).minor if amount_text.strip() else left
    except MoneyError:
        raise RefundInvalid(param="amount") from None
    if amount <= 0 or amount > left:
        raise RefundInvalid(param="amount")
    try:
        made = _send_refund(_client(), order, amount)
    except ZhifuError as exc:
        logger.warning("refunding order %s failed: %s", order.number, exc.code)
        if exc.code == "refund_exceeds_captured":
            raise RefundInvalid(param="amount") from exc
        raise PaymentsUnavailable from exc
    # At once from the answer; the refund's webhooks settle the same row later.
    _record_refund(order.pk, made)
    if made.status == domain.RefundStatus.FAILED:
        raise RefundRefused(param="amount")
    return made


def _send_refund(client: Client, order: Order, amount: int) -> Refund:
    """Refund ``amount`` of a paid order at the wallet. The idempotency key names the order
    and how much was refunded or on its way before, so the same form sent twice (or a
    cancel after it) refunds once."""
    before = order.refunded_minor + order.refund_pending_minor
    return client.refunds.create(
        payment=order.payment_id,
        amount=amount,
        reason="requested_by_customer",
        idempotency_key=f"refund-{order.number}-after-{before}-{amount}",
    )


def payment_of(order: Order) -> Payment | None:
    if not order.payment_id:
        return None
    try:
        return _client().payments.retrieve(order.payment_id)
    except (ZhifuError, PaymentsUnavailable):
        return None
