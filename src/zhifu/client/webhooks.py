"""Verifying a webhook from zhifu, the Standard Webhooks way.

The wallet signs `"{webhook-id}.{webhook-timestamp}.{body}"` with HMAC-SHA256 keyed by the
bytes of the endpoint's secret (`whsec_` then base64) and sends
`webhook-signature: v1,<base64 MAC>`, several space-separated while a secret is rotated.
A message verifies when one `v1` signature matches (compared in constant time) and its
timestamp is within `tolerance` seconds of now, which bounds replays of a captured one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from zhifu.client.errors import WebhookVerificationError
from zhifu.client.objects import Event

DEFAULT_TOLERANCE = 300  # seconds: 5 minutes either way
SECRET_PREFIX = "whsec_"  # noqa: S105  # pragma: allowlist secret


def _secret_bytes(secret: str) -> bytes:
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the webhook secret is not whsec_<base64>") from None
    if not key:
        raise WebhookVerificationError("the webhook secret is empty")
    return key


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise WebhookVerificationError(f"missing header {name}")


def sign(msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The `v1,<base64>` signature of a message (what the wallet sends; tests use it)."""
    mac = hmac.new(
        _secret_bytes(secret), f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256
    ).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str | list[str],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> Event:
    """The event of a verified webhook; raises WebhookVerificationError otherwise.

    ``body`` is the request's raw bytes exactly as received (not re-serialised JSON).
    ``secret`` may be a list, to accept a shop's old and new secret while it rotates them.
    """
    payload = body.encode() if isinstance(body, str) else bytes(body)
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not msg_id or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookVerificationError("malformed webhook-id or webhook-timestamp")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        raise WebhookVerificationError("the webhook's timestamp is outside the tolerance")
    secrets = [secret] if isinstance(secret, str) else list(secret)
    expected = [sign(msg_id, int(stamp), payload, s).encode() for s in secrets]
    matched = False
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version != "v1" or not value:
            continue
        for mac in expected:
            # No early exit: every comparison runs, each in constant time.
            matched |= hmac.compare_digest(mac, candidate.encode())
    if not matched:
        raise WebhookVerificationError("no matching webhook signature")
    try:
        data: Any = json.loads(payload)
        return Event.from_json(data)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise WebhookVerificationError("the webhook's body is not an event") from None
