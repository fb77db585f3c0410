"""The card vault's refusals: every code the card pages may have to explain, in one place.

Views map codes to their own sentences where a page needs to (a decline points at the CVC
field, say); the default messages here are what anyone else shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from zhifu.connectors.base import DeclineCode
from zhifu.kernel.errors import Codes, Refusal
from zhifu.vault import domain

__all__ = [
    "CardDeclined",
    "CardNotFound",
    "ChallengeFailed",
    "DuplicateCard",
    "InvalidCardInput",
    "NetworkBusy",
    "NetworkUnavailable",
    "TooManyCardAttempts",
    "VaultCode",
    "VaultRefusal",
    "VerificationInProgress",
]


class VaultCode(Codes):
    CARD_NOT_FOUND = "card_not_found"
    INVALID_CARD = "invalid_card"
    DUPLICATE_CARD = "duplicate_card"
    CARD_DECLINED = "card_declined"
    CHALLENGE_FAILED = "card_challenge_failed"
    NETWORK_UNAVAILABLE = "card_network_unavailable"
    TOO_MANY_CARD_ATTEMPTS = "too_many_card_attempts"
    NETWORK_BUSY = "card_network_busy"
    VERIFICATION_IN_PROGRESS = "card_verification_in_progress"


class VaultRefusal(Refusal):
    """Base of the vault's refusals (its own code would not be one a page could explain)."""


class CardNotFound(VaultRefusal):
    """No such card for this owner (another buyer's card is "not found" too)."""

    code = VaultCode.CARD_NOT_FOUND
    default_message = _("This card is not in your wallet.")
    http_status = 404


class InvalidCardInput(VaultRefusal):
    """One or more fields break the card rules; ``errors`` maps each field to its error."""

    code = VaultCode.INVALID_CARD
    default_message = _("The card was not saved. Please correct the fields marked below.")

    def __init__(self, errors: dict[str, domain.CardError]) -> None:
        super().__init__(param=next(iter(errors), None))
        self.errors = errors


class DuplicateCard(VaultRefusal):
    code = VaultCode.DUPLICATE_CARD
    default_message = _("This card is already saved in your wallet.")
    http_status = 409


class CardDeclined(VaultRefusal):
    """The network or the buyer's bank said no; ``decline_code`` says why."""

    code = VaultCode.CARD_DECLINED
    default_message = _("Your bank declined the card. Contact your bank or try another card.")
    http_status = 402

    def __init__(self, decline_code: DeclineCode) -> None:
        super().__init__(decline_code=decline_code.value)
        self.decline_code = decline_code


class ChallengeFailed(VaultRefusal):
    """The challenge answer was forged, expired or for another card: nothing was saved."""

    code = VaultCode.CHALLENGE_FAILED
    default_message = _("We could not check your bank's confirmation. The card was not saved.")


class NetworkUnavailable(VaultRefusal):
    """The network could not be reached, or did not answer. A verification is zero-amount,
    so whether or not the request arrived, nothing was charged and nothing was saved."""

    code = VaultCode.NETWORK_UNAVAILABLE
    default_message = _(
        "The card network did not answer, so your card was not saved. "
        "Nothing was charged. Please try again in a few minutes."
    )
    http_status = 503


class TooManyCardAttempts(VaultRefusal):
    """The account, the card or the address has had its card checks for now (the velocity
    limits in domain.CARD_ATTEMPT_LIMITS): the network was not asked, nothing was saved.
    ``retry_after`` is when a slot frees."""

    code = VaultCode.TOO_MANY_CARD_ATTEMPTS
    default_message = ngettext_lazy(
        "Too many cards were checked in a short time, so this one was not. "
        "Nothing was charged. Please try again in %(minutes)d minute.",
        "Too many cards were checked in a short time, so this one was not. "
        "Nothing was charged. Please try again in %(minutes)d minutes.",
        "minutes",
    )
    http_status = 429

    def __init__(self, retry_after: dt.timedelta) -> None:
        super().__init__(params={"minutes": domain.retry_minutes(retry_after)})
        self.retry_after = retry_after


class NetworkBusy(NetworkUnavailable):
    """This server's calls to the network were all taken for the whole wait: the request
    was not sent, so nothing was charged and nothing was saved."""

    code = VaultCode.NETWORK_BUSY
    default_message = _(
        "The card network is busy, so your card was not saved. "
        "Nothing was charged. Please try again in a minute."
    )


class VerificationInProgress(VaultRefusal):
    """This buyer already has a card being checked with the network: refused at once,
    never queued, so one buyer holds at most one of the server's calls to the network."""

    code = VaultCode.VERIFICATION_IN_PROGRESS
    default_message = _(
        "Another card of yours is being checked with your bank right now. "
        "Wait for it to finish, then try again. Nothing was charged."
    )
    http_status = 409


# --- the card pages' sentences, by rule and by decline code -------------------------------
# Public, so every page that takes a card (the card pages, the payments cashier) says the
# same thing for the same rule or decline.


class Interpolated:
    """A lazy message with its numbers from ``domain``, interpolated when shown (in the
    page's language, with the plural form a lazy ngettext picks for them)."""

    def __init__(self, template: Any, **params: int) -> None:
        self.template, self.params = template, params

    def __str__(self) -> str:
        return str(self.template % self.params)


CARD_MESSAGES: dict[domain.CardError, Any] = {
    domain.CardError.NUMBER_REQUIRED: _("Enter the card number."),
    domain.CardError.NUMBER_NOT_DIGITS: _("A card number has digits only."),
    domain.CardError.NUMBER_UNKNOWN_SCHEME: _(
        "We do not recognise this card's payment system. Check the number."
    ),
    domain.CardError.NUMBER_LENGTH: _("This card number has the wrong number of digits."),
    domain.CardError.NUMBER_CHECKSUM: _("This card number is not valid. Check it for typos."),
    domain.CardError.EXPIRY_FORMAT: _("Enter the expiry date as MM/YY, for example 08/29."),
    domain.CardError.EXPIRY_PAST: _("This card has expired."),
    domain.CardError.EXPIRY_TOO_FAR: _("Check the expiry date: it is too far in the future."),
    domain.CardError.NAME_REQUIRED: _("Enter the name as printed on the card."),
    domain.CardError.NAME_LENGTH: Interpolated(
        ngettext_lazy(
            "The name on a card has %(min)d to %(max)d character.",
            "The name on a card has %(min)d to %(max)d characters.",
            "max",
        ),
        min=domain.NAME_MIN,
        max=domain.NAME_MAX,
    ),
    domain.CardError.NAME_CHARACTERS: _(
        "Use letters, spaces, hyphens and apostrophes only, as printed on the card."
    ),
    domain.CardError.CVC_FORMAT: _(
        "Enter the 3-digit code from the back of the card (4 digits on the front for "
        "American Express)."
    ),
    domain.CardError.LABEL_LENGTH: Interpolated(
        ngettext_lazy(
            "A label has at most %(n)d character.", "A label has at most %(n)d characters.", "n"
        ),
        n=domain.LABEL_MAX,
    ),
    domain.CardError.LABEL_DIGITS: Interpolated(
        ngettext_lazy(
            "A label can hold at most %(n)d digit.", "A label can hold at most %(n)d digits.", "n"
        ),
        n=domain.LABEL_MAX_DIGITS,
    ),
}

DECLINES: dict[DeclineCode, Any] = {
    DeclineCode.INSUFFICIENT_FUNDS: _(
        "Your bank declined the card: insufficient funds. Try another card."
    ),
    DeclineCode.DO_NOT_HONOUR: _(
        "Your bank declined the card. Contact your bank or try another card."
    ),
    DeclineCode.EXPIRED_CARD: _("Your bank says this card has expired. Try another card."),
    DeclineCode.STOLEN_CARD: _(
        "Your bank declined the card. Contact your bank or try another card."
    ),
    DeclineCode.INCORRECT_CVC: _("The CVC is incorrect. Check the code and try again."),
    DeclineCode.INVALID_NUMBER: _("Your bank does not know this card number. Check it."),
    DeclineCode.OTHER: _("Your bank declined the card. Contact your bank or try another card."),
}

FIELD_FOR_DECLINE = {DeclineCode.INCORRECT_CVC: "cvc", DeclineCode.INVALID_NUMBER: "number"}
