"""Rules of payment-password recovery, free of Django (docs/recovery.md, SEC-15 to 18)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from zhifu.notifications.domain import FREEZE_LINK_LIFETIME, TOKEN_BYTES, token_digest

LINK_LIFETIME = dt.timedelta(minutes=30)  # the e-mailed recovery link (SEC-15)
CONFIRM_LINK_LIFETIME = dt.timedelta(minutes=30)  # a cool-off's fresh e-mail confirmation
REQUESTS_PER_HOUR = 5  # per address and per client address (SEC-17)
WRONG_PER_LINK = 5  # wrong submissions that revoke a link (SEC-18)
WRONG_PER_DAY = 10  # wrong submissions in 24 hours that lock self-service recovery
WRONG_WINDOW = dt.timedelta(hours=24)
LIMIT_WINDOW = dt.timedelta(hours=1)

# Every e-mailed link's token and its stored hash are notifications' (the freeze links are
# made there, for every security e-mail).
__all__ = ["FREEZE_LINK_LIFETIME", "TOKEN_BYTES", "token_digest"]


def normalize_address(address: str) -> str:
    """The address as typed, compared case-insensitively and without outer spaces."""
    return address.strip().casefold()


@dataclass(frozen=True)
class EarlierRequests:
    """Requests in the last hour before this one, as the limits count them."""

    own: int  # from the owner's own wallet session, for this address
    address: int  # from anyone else, for this address
    client: int  # from anyone else, from this client address


def limited(own_session: bool, earlier: EarlierRequests) -> bool:
    """Whether this request sends nothing (SEC-17).

    Requests from the owner's own signed-in session have a budget of their own, so no one
    else's requests for the address (or from a shared client address) lock the owner out;
    everyone else is limited per address and per client address.
    """
    if own_session:
        return earlier.own >= REQUESTS_PER_HOUR
    return earlier.address >= REQUESTS_PER_HOUR or earlier.client >= REQUESTS_PER_HOUR


def revokes_link(wrong_submissions: int) -> bool:
    return wrong_submissions >= WRONG_PER_LINK


def locks_self_service(wrong_in_window: int) -> bool:
    return wrong_in_window >= WRONG_PER_DAY
