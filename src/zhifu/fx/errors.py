"""FX's refusals: every code it may answer with, enumerated in :class:`FxCode`.

They derive from :class:`~zhifu.kernel.errors.Refusal` directly: a stale rate is not a
ledger error. A conversion may still be refused by the ledger it posts to
(``ledger.errors.InsufficientFunds``, ``BalanceDisabled``); callers catch ``Refusal`` for both.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhifu.kernel.errors import Codes, Refusal


class FxCode(Codes):
    FX_ERROR = "fx_error"
    RATE_UNAVAILABLE = "rate_unavailable"
    RATE_STALE = "rate_stale"
    SAME_CURRENCY = "same_currency"
    AMOUNT_TOO_SMALL = "amount_too_small"
    QUOTE_NOT_FOUND = "quote_not_found"
    QUOTE_EXPIRED = "quote_expired"
    QUOTE_USED = "quote_used"
    QUOTE_MISMATCH = "quote_mismatch"


class FxError(Refusal):
    """Base of FX's refusals (catch it to catch any of them)."""

    code = FxCode.FX_ERROR
    default_message = _("The exchange could not be made.")


class RateUnavailable(FxError):
    code = FxCode.RATE_UNAVAILABLE
    default_message = _("No exchange rate is available for these currencies.")
    pair_message = _("No exchange rate from %(base)s to %(quote)s is available.")


class RateStale(FxError):
    code = FxCode.RATE_STALE
    default_message = _(
        "The exchange rate is out of date, so conversions are paused until fresh rates "
        "arrive. Please try again later."
    )
    dated_message = _(
        "The %(base)s to %(quote)s exchange rate of %(date)s is out of date, so conversions "
        "are paused until fresh rates arrive. Please try again later."
    )


class SameCurrency(FxError):
    code = FxCode.SAME_CURRENCY
    default_message = _("Choose two different currencies to exchange.")


class AmountTooSmall(FxError):
    code = FxCode.AMOUNT_TOO_SMALL
    default_message = _("The amount is too small to convert.")


class QuoteNotFound(FxError):
    code = FxCode.QUOTE_NOT_FOUND
    default_message = _("No such quote.")
    http_status = 404


class QuoteExpired(FxError):
    code = FxCode.QUOTE_EXPIRED
    default_message = _("This quote has expired; please ask for a new one.")


class QuoteUsed(FxError):
    code = FxCode.QUOTE_USED
    default_message = _("This quote has already been used.")
    http_status = 409


class QuoteMismatch(FxError):
    code = FxCode.QUOTE_MISMATCH
    default_message = _("This quote is for another amount; please ask for a new one.")
    http_status = 409
