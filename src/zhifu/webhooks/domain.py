"""Webhooks' pure rules: which events a shop receives, the Standard Webhooks signature,
endpoint secrets, the retry schedule and the endpoint URL rule (docs/webhooks.md).

No Django here. The database, the clock and the wallet's key come in through services.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from zhifu.kernel.http import is_public

# The events a shop may subscribe to: every state change of its payments and refunds
# (payments' outbox topics). Card events (vault.card_added/deleted) are the buyer's, about
# no shop, and are not sent to any shop.
EVENT_TYPES: tuple[str, ...] = (
    "payment.processing",
    "payment.requires_action",
    "payment.requires_capture",
    "payment.succeeded",
    "payment.failed",
    "payment.canceled",
    "payment.expired",
    "refund.pending",
    "refund.succeeded",
    "refund.failed",
)
ALL_EVENTS = "*"

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32
# A rotated secret keeps signing (next to the new one) this long by default, at most a week.
ROTATION_OVERLAP = dt.timedelta(hours=24)
MAX_ROTATION_OVERLAP = dt.timedelta(days=7)
# A receiver refuses a timestamp further than this from its clock (replays).
TOLERANCE = dt.timedelta(minutes=5)

MAX_URL = 2000
MAX_DESCRIPTION = 500
MAX_ENDPOINTS = 16  # per platform and mode
EXCERPT_BYTES = 1024  # of each response, kept in the delivery log
# Deliveries in flight at once per endpoint (over all workers): a slow or dead receiver
# holds at most this many of a worker's sending threads.
PER_ENDPOINT_IN_FLIGHT = 4
CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 5.0


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SUCCEEDED = "succeeded"  # the receiver answered 2xx
    FAILED = "failed"  # no 2xx for 3 days: given up (resend starts it again)


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"  # keeps its deliveries but gets no new ones


class RuleCode(StrEnum):
    URL_INVALID = "webhook_url_invalid"
    EVENTS_INVALID = "webhook_events_invalid"
    DESCRIPTION_TOO_LONG = "webhook_description_too_long"
    OVERLAP_INVALID = "webhook_overlap_invalid"


class RuleBroken(ValueError):
    def __init__(self, code: RuleCode, param: str) -> None:
        super().__init__(code.value)
        self.code = code
        self.param = param


# --- subscriptions ------------------------------------------------------------------------


def check_events(events: Sequence[str]) -> list[str]:
    """The event types an endpoint asks for: known types, or ["*"] for all; no duplicates."""
    if not isinstance(events, list | tuple) or not events:
        raise RuleBroken(RuleCode.EVENTS_INVALID, "enabled_events")
    chosen: list[str] = []
    for name in events:
        if name != ALL_EVENTS and name not in EVENT_TYPES:
            raise RuleBroken(RuleCode.EVENTS_INVALID, "enabled_events")
        if name not in chosen:
            chosen.append(name)
    if ALL_EVENTS in chosen and len(chosen) > 1:
        raise RuleBroken(RuleCode.EVENTS_INVALID, "enabled_events")
    return chosen


def subscribed(enabled_events: Iterable[str], event_type: str) -> bool:
    enabled = list(enabled_events)
    return ALL_EVENTS in enabled or event_type in enabled


def check_description(text: str) -> str:
    if not isinstance(text, str) or len(text) > MAX_DESCRIPTION:
        raise RuleBroken(RuleCode.DESCRIPTION_TOO_LONG, "description")
    return text


def check_overlap(hours: float | None) -> dt.timedelta:
    if hours is None:
        return ROTATION_OVERLAP
    overlap = dt.timedelta(hours=hours)
    if not dt.timedelta(0) <= overlap <= MAX_ROTATION_OVERLAP:
        raise RuleBroken(RuleCode.OVERLAP_INVALID, "overlap_hours")
    return overlap


def check_url(url: str, *, demo: bool, allowed: Sequence[Any] = ()) -> str:
    """An absolute https URL (http too in demo mode), a host, no credentials or fragment; a
    literal address must be public (or allowed). Names are checked again after DNS, at every
    delivery (kernel.http), so a name pointing at 127.0.0.1 is refused there."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL or not url.isprintable():
        raise RuleBroken(RuleCode.URL_INVALID, "url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RuleBroken(RuleCode.URL_INVALID, "url") from None
    schemes = {"https", "http"} if demo else {"https"}
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.fragment
        or port == 0
        or " " in url
    ):
        raise RuleBroken(RuleCode.URL_INVALID, "url")
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return url  # a name: resolved and checked at each delivery
    if not (is_public(address) or any(address in net for net in allowed)):
        raise RuleBroken(RuleCode.URL_INVALID, "url")
    return url


# --- secrets ------------------------------------------------------------------------------
# A signing secret is never stored: the wallet derives it from its key
# (ZHIFU_WEBHOOK_SECRET_KEY), the endpoint's id and a random salt kept with the endpoint.
# A copy of the database without the key signs nothing; rotating means a new salt.


def new_salt() -> str:
    return secrets.token_urlsafe(16)


def derive_secret(wallet_key: bytes, endpoint_id: str, salt: str) -> str:
    """The endpoint's ``whsec_…`` for this salt (32 bytes, base64 as Standard Webhooks)."""
    material = f"zhifu webhook secret\x00{endpoint_id}\x00{salt}".encode()
    raw = hmac.new(wallet_key, material, hashlib.sha256).digest()[:SECRET_BYTES]
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret: the base64 after the prefix, decoded."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("not a whsec_ secret")
    return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)


# --- the signature (https://www.standardwebhooks.com) --------------------------------------


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode("ascii")


def sign_headers(
    secrets_: Sequence[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three headers, one ``v1,`` signature per secret (two during a rotation)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(s, msg_id, timestamp, body) for s in secrets_),
    }


class VerificationFailed(ValueError):
    """The message is not one the holder of the secret would accept."""


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: dt.datetime) -> None:
    """What a receiver checks (docs/webhooks.md): the three headers, a timestamp within
    five minutes of ``now``, one of the ``v1,`` signatures matching, compared in constant
    time. Raises VerificationFailed."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    given = lower.get("webhook-signature", "")
    if not msg_id or not stamp or not given:
        raise VerificationFailed("missing headers")
    if not stamp.isascii() or not stamp.isdigit():
        raise VerificationFailed("bad timestamp")
    sent = dt.datetime.fromtimestamp(int(stamp), dt.UTC)
    if abs(now - sent) > TOLERANCE:
        raise VerificationFailed("timestamp out of tolerance")
    expected = signature(secret, msg_id, int(stamp), body).encode()
    for candidate in given.split(" "):
        if hmac.compare_digest(candidate.encode(), expected):
            return
    raise VerificationFailed("no matching signature")


# --- the event as shops see it ------------------------------------------------------------


def event_object(
    event_id: str, event_type: str, created_at: str, livemode: bool, data: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created_at": created_at,
        "livemode": livemode,
        "data": {"object": dict(data)},
    }


def body_of(event: Mapping[str, Any]) -> bytes:
    """The bytes sent and signed (compact JSON, UTF-8)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def excerpt(content: bytes) -> str:
    """The first KiB of a response, as text (undecodable bytes replaced)."""
    return content[:EXCERPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def next_attempt(
    attempts: int, now: dt.datetime, give_up_at: dt.datetime, delay: dt.timedelta
) -> dt.datetime | None:
    """When to try again after ``attempts`` failures, or None: given up. The last try is at
    the 3-day mark itself, never later."""
    if now >= give_up_at:
        return None
    return min(now + delay, give_up_at)
