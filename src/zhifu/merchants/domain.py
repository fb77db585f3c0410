"""The merchant API's pure rules: secret API keys, idempotency keys, rate windows.

No Django here. The database and the clock come in through services.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# --- secret API keys ------------------------------------------------------------------------
# "sk_test_" / "sk_live_" then 43 characters of base62: 43 * log2(62) ≈ 256 random bits.
KEY_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_RANDOM_CHARS = 43
KEY_PATTERN = re.compile(r"^sk_(test|live)_[0-9A-Za-z]{43}$")
# The part of a key kept in clear for listing: the mode and 6 random characters (36 of the
# 256 bits), enough to tell a shop's keys apart.
PREFIX_RANDOM_CHARS = 6
# A key's last-used time is written at most this often, never on every request.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class Mode(StrEnum):
    TEST = "test"
    LIVE = "live"


def new_secret_key(mode: Mode) -> str:
    """A fresh secret key; shown once, stored only as :func:`key_digest`."""
    body = "".join(secrets.choice(KEY_ALPHABET) for _ in range(KEY_RANDOM_CHARS))
    return f"sk_{mode.value}_{body}"


def parse_secret_key(text: str) -> Mode | None:
    """The mode of a well-formed key, or None (then no lookup is needed to refuse it)."""
    found = KEY_PATTERN.fullmatch(text)
    return Mode(found.group(1)) if found else None


def key_prefix(key: str) -> str:
    """What listings show of a key: "sk_test_Ab12Cd"."""
    mode_part = len("sk_test_")
    return key[: mode_part + PREFIX_RANDOM_CHARS]


def key_digest(hash_key: bytes, key: str) -> str:
    """HMAC-SHA256 under the wallet's key-hashing secret: a database dump alone does not let
    anyone check a guessed key, and the lookup is by this value."""
    return hmac.new(hash_key, key.encode("ascii"), hashlib.sha256).hexdigest()


def digests_match(stored: str, computed: str) -> bool:
    return hmac.compare_digest(stored.encode("ascii"), computed.encode("ascii"))


def last_used_stale(last_used: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a request should record the key's use (at most once a minute)."""
    return last_used is None or not (last_used <= now < last_used + LAST_USED_EVERY)


# --- idempotency keys -------------------------------------------------------------------------
IDEMPOTENCY_KEY_MAX = 255
# A request holds its key this long; one killed mid-way (a crashed worker, a killed process)
# frees its key once the lease has run out. Longer than any request may live (the web
# server kills a worker after 30 s).
IDEMPOTENCY_LEASE = dt.timedelta(seconds=60)
# Stored responses are replayed for at least this long, then deleted.
IDEMPOTENCY_KEPT = dt.timedelta(hours=24)
IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]+$"
_PRINTABLE = re.compile(IDEMPOTENCY_KEY_PATTERN)


def idempotency_key_valid(key: str) -> bool:
    """1 to 255 printable ASCII characters (an HTTP header's safe alphabet)."""
    return 0 < len(key) <= IDEMPOTENCY_KEY_MAX and bool(_PRINTABLE.fullmatch(key))


def request_fingerprint(method: str, path: str, body: Any) -> str:
    """What makes two requests "the same": the endpoint and the parsed body, whatever the
    order of its keys or its white space."""
    canonical = json.dumps(
        [method.upper(), path, body], sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


class Held(StrEnum):
    """The state of an idempotency key's record."""

    RUNNING = "running"  # a request holds it (until its lease runs out)
    DONE = "done"  # the first response is stored


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


def replayable(status: int) -> bool:
    """Whether an answer is stored for its key: a success or the caller's refusal (4xx);
    not a failure of the server's (5xx), after which the operation may be retried."""
    return status < 500


def lease_expired(lease_until: dt.datetime, now: dt.datetime) -> bool:
    return now >= lease_until


# --- rate limits ------------------------------------------------------------------------------
RATE_WINDOW_SECONDS = 60


def rate_window(now: dt.datetime) -> int:
    """The fixed one-minute window ``now`` falls in (minutes since the epoch)."""
    return int(now.timestamp()) // RATE_WINDOW_SECONDS


def retry_after(now: dt.datetime) -> int:
    """Seconds until the next window opens (at least 1)."""
    return max(1, RATE_WINDOW_SECONDS - int(now.timestamp()) % RATE_WINDOW_SECONDS)
