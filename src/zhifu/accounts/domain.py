"""Rules of the wallet's sign-in and e-mail confirmation, free of Django."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from urllib.parse import urlsplit

RESEND_COOLDOWN = dt.timedelta(seconds=60)
RESENDS_PER_HOUR = 5
LINK_LIFETIME = dt.timedelta(hours=24)
# A link that connects a shop to a wallet is a key to that wallet (with the payment
# password): it lives much shorter than the confirmation link.
CONNECT_LINK_LIFETIME = dt.timedelta(minutes=30)

IDLE_TIMEOUT = dt.timedelta(hours=1)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=24)


@dataclass(frozen=True)
class SendRefused:
    reason: str  # "cooldown" | "hourly"
    wait_seconds: int


def may_send(previous: list[dt.datetime], now: dt.datetime) -> SendRefused | None:
    """Whether another confirmation e-mail may go out now, given the earlier send times.

    At most one every 60 seconds and 5 in any rolling hour; the answer says how long to wait.
    """
    recent = sorted(t for t in previous if now - t < dt.timedelta(hours=1))
    if recent and now - recent[-1] < RESEND_COOLDOWN:
        wait = RESEND_COOLDOWN - (now - recent[-1])
        return SendRefused("cooldown", max(1, math.ceil(wait.total_seconds())))
    if len(recent) >= RESENDS_PER_HOUR:
        wait = recent[-RESENDS_PER_HOUR] + dt.timedelta(hours=1) - now
        return SendRefused("hourly", max(1, math.ceil(wait.total_seconds())))
    return None


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site, else None (no open redirects).

    Accepts "/account/?x=1"; refuses "https://evil", "//evil", "/\\evil", "javascript:",
    anything with a scheme, a host, a backslash or a control character.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value


def session_expired(
    signed_in_at: dt.datetime, last_seen_at: dt.datetime, now: dt.datetime
) -> str | None:
    """ "idle" after 1 hour without a request, "absolute" 24 hours after sign-in, else None."""
    if now - signed_in_at >= ABSOLUTE_TIMEOUT:
        return "absolute"
    if now - last_seen_at >= IDLE_TIMEOUT:
        return "idle"
    return None


# The session keys of the platform a session signed in through (services.remember_platform).
PLATFORM_KEY = "zhifu_platform_id"
PLATFORM_NAME_KEY = "zhifu_platform_name"
# Its home page, where the wallet's "Back to the shop" leads.
PLATFORM_HOME_KEY = "zhifu_platform_home"
# After "Sign out": the platform signed out of (the home page says so once), and the state of
# the "Sign out of the shop too" request, which the shop sends back to the home page.
SIGNED_OUT_KEY = "zhifu_signed_out_of"
SHOP_SIGN_OUT_KEY = "zhifu_shop_sign_out"
# The user's ``sessions_epoch`` when a session started: an older one is ended (middleware).
SESSION_EPOCH_KEY = "zhifu_sessions_epoch"


def masked_address(address: str) -> str:
    """``anna@example.com`` -> ``a***@example.com``: enough for the old address's owner
    to recognise their new one, not enough to hand a stranger the new address."""
    local, _, host = address.partition("@")
    return f"{local[:1]}***@{host}" if host else "***"


def shop_home(issuer: str) -> str:
    """The shop's home page: the origin of its OIDC issuer (``https://shop.example/o`` ->
    ``https://shop.example/``), the one address of a shop the wallet is sure of."""
    parts = urlsplit(issuer)
    return f"{parts.scheme}://{parts.netloc}/"
