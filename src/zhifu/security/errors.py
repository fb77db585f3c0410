"""The refusals of the wallet's restrictions: every code in one place."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhifu.kernel.errors import Codes, Refusal


class SecurityCode(Codes):
    FROZEN = "wallet_frozen"
    CONFIRMATION_NEEDED = "fresh_confirmation_needed"


class SecurityRefusal(Refusal):
    code = "security_refused"
    http_status = 403


class WalletFrozen(SecurityRefusal):
    """The buyer froze the wallet: no payments, no card changes."""

    code = SecurityCode.FROZEN
    default_message = _(
        "Your wallet is frozen: no payments and no card changes. Contact support to unfreeze "
        "it, or recover your payment password again 24 hours after the freeze."
    )
    http_status = 423


class FreshConfirmationNeeded(SecurityRefusal):
    """In the cool-off after a recovery, this action needs a fresh e-mail confirmation."""

    code = SecurityCode.CONFIRMATION_NEEDED
    default_message = _(
        "Your payment password was recovered recently: confirm this by e-mail first. "
        "We can send you a confirmation link."
    )
