"""Rules of the security log and of the wallet's restrictions, free of Django.

The log shows a buyer every use of their credentials; an address is shown only as its
network (/24 for IPv4, /48 for IPv6) and a browser only as its family, so the log helps
the buyer recognise a stranger without becoming a tracking record of its own.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from enum import StrEnum

from zhifu.kernel.money import Money, parse_amounts

__all__ = ["parse_amounts"]

PAGE_SIZE = 20
USER_AGENT_MAX = 300  # what is kept of a User-Agent header (only its family is shown)
# How long after a freeze the buyer's own recovery may lift it (else only support can).
FREEZE_RECOVERY_WAIT = dt.timedelta(hours=24)


class EventKind(StrEnum):
    """What happened. Stable strings: stored rows refer to them; never rename one."""

    SIGNED_IN = "signed_in"
    PIN_OK = "pin_ok"
    PIN_WRONG = "pin_wrong"
    PIN_LOCKED = "pin_locked"
    PIN_CHANGED = "pin_changed"
    QUESTIONS_CHANGED = "questions_changed"
    CARD_ADDED = "card_added"
    CARD_DELETED = "card_deleted"
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    RECOVERY_REQUESTED = "recovery_requested"
    RECOVERY_LINK_OPENED = "recovery_link_opened"
    RECOVERY_ANSWERS_WRONG = "recovery_answers_wrong"
    RECOVERY_ANSWERS_OK = "recovery_answers_ok"
    RECOVERY_LINK_REVOKED = "recovery_link_revoked"
    RECOVERY_LOCKED = "recovery_locked"
    RECOVERY_COMPLETED = "recovery_completed"
    RECOVERY_UNLOCKED = "recovery_unlocked"  # by an operator
    WALLET_FROZEN = "wallet_frozen"
    WALLET_UNFROZEN = "wallet_unfrozen"
    COOL_OFF_CONFIRMED = "cool_off_confirmed"


def display_network(address: str) -> str:
    """``203.0.113.57`` -> ``203.0.113.0/24``; IPv6 -> its /48; anything else -> ""."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# Order matters: Edge and Opera say "Chrome" too, Chrome says "Safari".
_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Yandex Browser", re.compile(r"\bYaBrowser/")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|HeadlessChrome|Chromium)/")),
    ("Safari", re.compile(r"\bSafari/")),
)


def browser_family(user_agent: str) -> str:
    """The browser's family from its User-Agent, or "" when unknown."""
    for name, pattern in _FAMILIES:
        if pattern.search(user_agent or ""):
            return name
    return ""


@dataclass(frozen=True)
class Restrictions:
    """What a wallet may do now.

    ``frozen``: no payments and no card changes (the buyer said "This wasn't me").
    ``cool_off_until``: after a recovery, adding a card or paying more than the limit in
    ``cool_off_limits`` (per currency) needs a fresh e-mail confirmation until then.
    """

    frozen: bool = False
    frozen_at: dt.datetime | None = None
    cool_off_until: dt.datetime | None = None
    cool_off_limits: dict[str, Money] = field(default_factory=dict)

    def in_cool_off(self, now: dt.datetime) -> bool:
        return self.cool_off_until is not None and now < self.cool_off_until

    def payment_needs_confirmation(self, amount: Money, now: dt.datetime) -> bool:
        """True when paying ``amount`` now needs a fresh e-mail confirmation. A currency
        with no configured limit has none: every amount needs it."""
        if not self.in_cool_off(now):
            return False
        limit = self.cool_off_limits.get(amount.currency)
        return limit is None or limit < amount

    def cool_off_limit(self, currency: str) -> Money | None:
        return self.cool_off_limits.get(currency)


NO_RESTRICTIONS = Restrictions()


def may_recover_while_frozen(frozen_at: dt.datetime | None, now: dt.datetime) -> bool:
    """A freeze is lifted by support, or by the buyer's own recovery started 24 hours or
    more after it (so whoever froze the wallet has had a day to act through support)."""
    return frozen_at is None or now >= frozen_at + FREEZE_RECOVERY_WAIT
