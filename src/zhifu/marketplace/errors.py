"""The shop's refusals: every code in one place. Pages show ``refusal.message``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhifu.kernel.errors import Codes, Refusal


class MarketplaceCode(Codes):
    CART_EMPTY = "cart_empty"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_NOT_CANCELLABLE = "order_not_cancellable"
    SIGNUP_LINK_INVALID = "signup_link_invalid"
    PAYMENTS_UNAVAILABLE = "payments_unavailable"
    ORDER_NOT_PAYABLE = "order_not_payable"
    STAFF_ONLY = "staff_only"
    REFUND_INVALID = "refund_invalid"
    REFUND_REFUSED = "refund_refused"


class MarketplaceRefusal(Refusal):
    code = "marketplace_refused"


class EmptyCart(MarketplaceRefusal):
    """Nothing (still on sale) in the cart."""

    code = MarketplaceCode.CART_EMPTY
    default_message = _("Your cart is empty.")


class OrderNotFound(MarketplaceRefusal):
    """No such order for this buyer (another buyer's order is "not found" too)."""

    code = MarketplaceCode.ORDER_NOT_FOUND
    default_message = _("There is no such order.")
    http_status = 404


class OrderNotCancellable(MarketplaceRefusal):
    """Only an order still awaiting payment can be cancelled."""

    code = MarketplaceCode.ORDER_NOT_CANCELLABLE
    default_message = _("This order can no longer be cancelled.")
    http_status = 409


class SignupLinkInvalid(MarketplaceRefusal):
    """The sign-up link is unknown, used, expired, or its address has an account now."""

    code = MarketplaceCode.SIGNUP_LINK_INVALID
    default_message = _(
        "This link can no longer be used. If you have already finished signing up, log in; "
        "otherwise sign up again."
    )
    http_status = 410


class PaymentsUnavailable(MarketplaceRefusal):
    """The wallet is not configured for this shop, or did not answer."""

    code = MarketplaceCode.PAYMENTS_UNAVAILABLE
    default_message = _(
        "Payment through the zhifu wallet is not available right now. Please try again in a "
        "few minutes from the order's page."
    )
    http_status = 503


class OrderNotPayable(MarketplaceRefusal):
    """The order is paid, cancelled, or its payment is being confirmed."""

    code = MarketplaceCode.ORDER_NOT_PAYABLE
    default_message = _("This order cannot be paid now.")
    http_status = 409


class StaffOnly(MarketplaceRefusal):
    code = MarketplaceCode.STAFF_ONLY
    default_message = _("Only the shop's staff can do this.")
    http_status = 403


class RefundInvalid(MarketplaceRefusal):
    """A refund of nothing, of more than is left, or of an order that was not paid."""

    code = MarketplaceCode.REFUND_INVALID
    default_message = _("Choose an amount up to what is left to refund on a paid order.")
    http_status = 400


class RefundRefused(MarketplaceRefusal):
    """The card network refused the refund: nothing was refunded."""

    code = MarketplaceCode.REFUND_REFUSED
    default_message = _("The bank refused the refund, so nothing was refunded. Try again later.")
    http_status = 502
