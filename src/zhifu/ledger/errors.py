"""The ledger's refusals: every code it may answer with, enumerated in :class:`LedgerCode`.

Each is a :class:`~zhifu.kernel.errors.Refusal` with a stable ``code`` (docs/ledger.md lists
them) and a lazily translated message. Malformed requests (an unbalanced entry, a bad
reference) are bugs in the caller and raise ``domain.LedgerRuleError`` instead.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhifu.kernel.errors import Codes, Refusal


class LedgerCode(Codes):
    LEDGER_ERROR = "ledger_error"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    DUPLICATE_REFERENCE = "duplicate_reference"
    ENTRY_NOT_FOUND = "entry_not_found"
    NOT_REVERSIBLE = "not_reversible"
    REFUND_TOO_LARGE = "refund_too_large"
    WITHDRAWAL_CLOSED = "withdrawal_closed"
    BALANCE_DISABLED = "balance_disabled"


class LedgerError(Refusal):
    """Base of the ledger's refusals (catch it to catch any of them)."""

    code = LedgerCode.LEDGER_ERROR
    default_message = _("The operation could not be recorded.")


class InsufficientFunds(LedgerError):
    code = LedgerCode.INSUFFICIENT_FUNDS
    default_message = _("There is not enough money on the account.")


class DuplicateReference(LedgerError):
    code = LedgerCode.DUPLICATE_REFERENCE
    default_message = _("This operation has already been recorded.")
    http_status = 409


class EntryNotFound(LedgerError):
    code = LedgerCode.ENTRY_NOT_FOUND
    default_message = _("No such ledger entry.")
    http_status = 404


class NotReversible(LedgerError):
    code = LedgerCode.NOT_REVERSIBLE
    default_message = _("This entry cannot be reversed.")


class RefundTooLarge(LedgerError):
    code = LedgerCode.REFUND_TOO_LARGE
    default_message = _("The refund is larger than what is left of the payment.")


class WithdrawalClosed(LedgerError):
    code = LedgerCode.WITHDRAWAL_CLOSED
    default_message = _("This withdrawal has already been paid out or cancelled.")


class BalanceDisabled(LedgerError):
    """The platform has switched the stored balance off: every balance entry point says so."""

    code = LedgerCode.BALANCE_DISABLED
    default_message = _(
        "The balance cannot be used: top-ups and payments from the balance are switched off."
    )
