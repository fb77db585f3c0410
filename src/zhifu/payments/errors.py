"""Payments' refusals: every code a shop's API client or a buyer's page may see, in one place.

Messages are translated when read (the cashier shows them in the buyer's language); the API
renders ``refusal.as_error()``. :func:`refusal_for` turns a broken domain rule into its
refusal, with ``param`` naming the field at fault.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from zhifu.connectors.base import DeclineCode
from zhifu.kernel.errors import Codes, Refusal
from zhifu.payments import domain
from zhifu.payments.domain import RuleCode


class PaymentsCode(Codes):
    PAYMENT_NOT_FOUND = "payment_not_found"
    REFUND_NOT_FOUND = "refund_not_found"
    STATE_INVALID = "payment_unexpected_state"
    NOT_OPEN = "payment_not_open"
    DECLINED = "card_declined"
    NETWORK_UNAVAILABLE = "payment_network_unavailable"
    BALANCE_UNAVAILABLE = "payment_balance_unavailable"
    BALANCE_INSUFFICIENT = "payment_balance_insufficient"
    EXCHANGE_EXPIRED = "payment_exchange_expired"
    EXCHANGE_INVALID = "payment_exchange_invalid"
    CHALLENGE_FAILED = "payment_challenge_failed"
    SAVE_NEEDS_REGISTRATION = "payment_save_needs_registration"
    CURSOR_INVALID = "cursor_invalid"
    AMOUNT_INVALID = RuleCode.AMOUNT_INVALID.value
    AMOUNT_TOO_LARGE = RuleCode.AMOUNT_TOO_LARGE.value
    CURRENCY_UNSUPPORTED = RuleCode.CURRENCY_UNSUPPORTED.value
    ORDER_REFERENCE_INVALID = RuleCode.ORDER_REFERENCE_INVALID.value
    DESCRIPTION_TOO_LONG = RuleCode.DESCRIPTION_TOO_LONG.value
    BUYER_REFERENCE_INVALID = RuleCode.BUYER_REFERENCE_INVALID.value
    RETURN_URL_INVALID = RuleCode.RETURN_URL_INVALID.value
    METADATA_INVALID = RuleCode.METADATA_INVALID.value
    REASON_INVALID = RuleCode.REASON_INVALID.value
    CAPTURE_EXCEEDS_AUTHORIZED = RuleCode.CAPTURE_EXCEEDS_AUTHORIZED.value
    REFUND_EXCEEDS_CAPTURED = RuleCode.REFUND_EXCEEDS_CAPTURED.value
    LIMIT_INVALID = RuleCode.LIMIT_INVALID.value


class PaymentsRefusal(Refusal):
    """Base of payments' refusals."""

    code = "payments_refused"
    http_status = 400


# --- not found / state --------------------------------------------------------------------


class PaymentNotFound(PaymentsRefusal):
    """No such payment for this platform or buyer (another's id is "not found" too)."""

    code = PaymentsCode.PAYMENT_NOT_FOUND
    default_message = _("This payment does not exist.")
    http_status = 404


class RefundNotFound(PaymentsRefusal):
    code = PaymentsCode.REFUND_NOT_FOUND
    default_message = _("This refund does not exist.")
    http_status = 404


class PaymentStateInvalid(PaymentsRefusal):
    """The state machine does not allow this in the payment's status."""

    code = PaymentsCode.STATE_INVALID
    default_message = _("This cannot be done to a payment in its current state (%(status)s).")
    http_status = 409

    def __init__(self, status: domain.PaymentStatus) -> None:
        super().__init__(params={"status": status.value}, status=status.value)


class PaymentNotOpen(PaymentsRefusal):
    """The buyer came to a payment that can no longer be paid (paid, canceled, expired)."""

    code = PaymentsCode.NOT_OPEN
    default_message = _("This payment can no longer be paid: it is paid, canceled or expired.")
    http_status = 409

    def __init__(self, status: domain.PaymentStatus) -> None:
        super().__init__(status=status.value)
        self.status = status


# --- paying -------------------------------------------------------------------------------

DECLINES: dict[DeclineCode, Any] = {
    DeclineCode.INSUFFICIENT_FUNDS: _(
        "Your bank declined the payment: insufficient funds. Try another card."
    ),
    DeclineCode.DO_NOT_HONOUR: _(
        "Your bank declined the payment. Contact your bank or try another card."
    ),
    DeclineCode.EXPIRED_CARD: _("Your bank says this card has expired. Try another card."),
    DeclineCode.STOLEN_CARD: _(
        "Your bank declined the payment. Contact your bank or try another card."
    ),
    DeclineCode.INCORRECT_CVC: _("The CVC is incorrect. Check the code and try again."),
    DeclineCode.INVALID_NUMBER: _("Your bank does not know this card number. Check it."),
    DeclineCode.OTHER: _("Your bank declined the payment. Contact your bank or try another card."),
}
# English, for the API's ``failure.message`` (never translated: shops log it).
DECLINES_EN: dict[DeclineCode, str] = {
    DeclineCode.INSUFFICIENT_FUNDS: "The card was declined: insufficient funds.",
    DeclineCode.DO_NOT_HONOUR: "The card was declined.",
    DeclineCode.EXPIRED_CARD: "The card has expired.",
    DeclineCode.STOLEN_CARD: "The card was declined.",
    DeclineCode.INCORRECT_CVC: "The CVC was incorrect.",
    DeclineCode.INVALID_NUMBER: "The card number is not known to the issuer.",
    DeclineCode.OTHER: "The card was declined.",
}


class PaymentDeclined(PaymentsRefusal):
    """The network or the bank said no; ``decline_code`` is what the buyer may be told
    (the vault's visible_decline: the bank's reason the first time, generic after)."""

    code = PaymentsCode.DECLINED
    default_message = DECLINES[DeclineCode.OTHER]
    http_status = 402

    def __init__(self, decline_code: DeclineCode, *, param: str | None = None) -> None:
        super().__init__(DECLINES[decline_code], param=param, decline_code=decline_code.value)
        self.decline_code = decline_code


class PaymentNetworkUnavailable(PaymentsRefusal):
    """The network could not be reached and nothing was sent: nothing was charged."""

    code = PaymentsCode.NETWORK_UNAVAILABLE
    default_message = _(
        "The card network did not answer. Nothing was charged. Please try again in a few minutes."
    )
    http_status = 503


class BalanceUnavailable(PaymentsRefusal):
    code = PaymentsCode.BALANCE_UNAVAILABLE
    default_message = _("This shop does not accept payment from the wallet balance.")
    http_status = 409


class BalanceInsufficient(PaymentsRefusal):
    code = PaymentsCode.BALANCE_INSUFFICIENT
    default_message = _("There is not enough money on your balance for this payment.")
    http_status = 402


class ExchangeExpired(PaymentsRefusal):
    """The locked exchange rate of a payment from a balance in another currency ran out."""

    code = PaymentsCode.EXCHANGE_EXPIRED
    default_message = _(
        "The exchange rate was locked for a limited time, and that time is up. Check the new "
        "amount and confirm again."
    )
    http_status = 409


class ExchangeInvalid(PaymentsRefusal):
    """A quote that is not this buyer's, already used, or for another amount."""

    code = PaymentsCode.EXCHANGE_INVALID
    default_message = _(
        "This exchange offer cannot be used for this payment. Check the amount and confirm again."
    )
    http_status = 409


class ChallengeFailed(PaymentsRefusal):
    """The bank's confirmation was forged, expired or for another payment."""

    code = PaymentsCode.CHALLENGE_FAILED
    default_message = _("We could not check your bank's confirmation. Please try again.")


class SaveNeedsRegistration(PaymentsRefusal):
    code = PaymentsCode.SAVE_NEEDS_REGISTRATION
    default_message = _("Finish your registration to save cards in your wallet.")
    http_status = 403


class CursorInvalid(PaymentsRefusal):
    code = PaymentsCode.CURSOR_INVALID
    default_message = _("This page position is not valid.")


# --- the shop's request -------------------------------------------------------------------


class AmountInvalid(PaymentsRefusal):
    code = PaymentsCode.AMOUNT_INVALID
    default_message = _("The amount must be a positive whole number of minor units.")


class AmountTooLarge(PaymentsRefusal):
    code = PaymentsCode.AMOUNT_TOO_LARGE
    default_message = _("The amount is larger than a payment may be.")


class CurrencyUnsupported(PaymentsRefusal):
    code = PaymentsCode.CURRENCY_UNSUPPORTED
    default_message = _("This currency is not accepted.")


class OrderReferenceInvalid(PaymentsRefusal):
    code = PaymentsCode.ORDER_REFERENCE_INVALID
    default_message = _("The order reference must be 1 to 200 printable characters.")


class DescriptionTooLong(PaymentsRefusal):
    code = PaymentsCode.DESCRIPTION_TOO_LONG
    default_message = _("The description may be at most 1000 characters.")


class BuyerReferenceInvalid(PaymentsRefusal):
    code = PaymentsCode.BUYER_REFERENCE_INVALID
    default_message = _("The buyer reference must be 1 to 255 printable characters.")


class ReturnUrlInvalid(PaymentsRefusal):
    code = PaymentsCode.RETURN_URL_INVALID
    default_message = _("The return URL must be an absolute https URL.")


class MetadataInvalid(PaymentsRefusal):
    code = PaymentsCode.METADATA_INVALID
    default_message = _(
        "Metadata is at most 20 string keys of up to 40 characters, values up to 500."
    )


class ReasonInvalid(PaymentsRefusal):
    code = PaymentsCode.REASON_INVALID
    default_message = _("The reason must be requested_by_customer, duplicate, fraudulent or empty.")


class CaptureExceedsAuthorized(PaymentsRefusal):
    code = PaymentsCode.CAPTURE_EXCEEDS_AUTHORIZED
    default_message = _("The capture is larger than the amount authorized.")


class RefundExceedsCaptured(PaymentsRefusal):
    code = PaymentsCode.REFUND_EXCEEDS_CAPTURED
    default_message = _("The refunds would exceed the amount captured.")


class LimitInvalid(PaymentsRefusal):
    code = PaymentsCode.LIMIT_INVALID
    default_message = _("The limit must be between 1 and 100.")


_BY_RULE: dict[RuleCode, type[PaymentsRefusal]] = {
    RuleCode.AMOUNT_INVALID: AmountInvalid,
    RuleCode.AMOUNT_TOO_LARGE: AmountTooLarge,
    RuleCode.CURRENCY_UNSUPPORTED: CurrencyUnsupported,
    RuleCode.ORDER_REFERENCE_INVALID: OrderReferenceInvalid,
    RuleCode.DESCRIPTION_TOO_LONG: DescriptionTooLong,
    RuleCode.BUYER_REFERENCE_INVALID: BuyerReferenceInvalid,
    RuleCode.RETURN_URL_INVALID: ReturnUrlInvalid,
    RuleCode.METADATA_INVALID: MetadataInvalid,
    RuleCode.REASON_INVALID: ReasonInvalid,
    RuleCode.CAPTURE_EXCEEDS_AUTHORIZED: CaptureExceedsAuthorized,
    RuleCode.REFUND_EXCEEDS_CAPTURED: RefundExceedsCaptured,
    RuleCode.LIMIT_INVALID: LimitInvalid,
}


def refusal_for(broken: domain.RuleBroken) -> PaymentsRefusal:
    """The refusal of a broken domain rule, naming the field at fault."""
    return _BY_RULE[broken.code](param=broken.param)
