"""Signed, timestamped values: tamper-evident, not secret (anyone can read the payload).

Modelled on Django's ``signing.TimestampSigner`` with ``fallback_keys`` (4.1+), without
Django, so both sites and the framework-free card-network port can use it:

- a **salt** per purpose, so a value signed for one job is refused by another;
- the newest key signs, and ``[key, *fallback_keys]`` are tried when checking, so a key
  is rotated by moving it into the fallbacks: values already in flight still verify until
  they expire, then the old key can go;
- the timestamp comes from :func:`zhifu.kernel.clock.now`, so tests pin it with
  time-machine, and ``max_age`` is checked against the same clock;
- signatures are compared in constant time.

The format is ``<payload>:<timestamp>:<signature>``, URL-safe (base64url and decimal
digits), so a token can sit in a path or a query string.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

from zhifu.kernel import clock

__all__ = ["BadSignature", "SignatureExpired", "Signer"]


class BadSignature(Exception):
    """The signature does not match any key: forged, tampered, or signed for another salt."""


class SignatureExpired(BadSignature):
    """The signature is good, but older than ``max_age`` (or from the future)."""


# Clocks of two hosts may disagree a little; a value "from the future" beyond this is forged.
CLOCK_SKEW_S = 60


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Sign and check values for one purpose (the salt) under a key and its fallbacks."""

    def __init__(self, key: str, fallback_keys: Sequence[str] = (), *, salt: str) -> None:
        if not key:
            raise ValueError("a signing key cannot be empty")
        if not salt:
            raise ValueError("give each use of a Signer its own salt")
        self._keys = (key, *(k for k in fallback_keys if k))
        self.salt = salt

    def __repr__(self) -> str:
        return f"Signer(salt={self.salt!r}, fallbacks={len(self._keys) - 1})"

    def _signature(self, key: str, value: str) -> str:
        # A key derived per salt (as Django's salted_hmac does): the raw key never signs.
        derived = hashlib.sha256(f"zhifu.kernel.signing:{self.salt}:{key}".encode()).digest()
        return _b64encode(hmac.new(derived, value.encode(), hashlib.sha256).digest())

    def sign(self, value: str) -> str:
        """``value:timestamp:signature``, signed with the newest key."""
        if not value or any(c in value for c in ":\n"):
            raise ValueError("sign a non-empty value without ':'; use dumps() for data")
        stamped = f"{value}:{int(clock.now().timestamp())}"
        return f"{stamped}:{self._signature(self._keys[0], stamped)}"

    def unsign(self, signed: str, *, max_age: float | None = None) -> str:
        """The value, if some key signed it and it is younger than ``max_age`` seconds.

        Raises BadSignature (forged, tampered, other salt, malformed) or SignatureExpired.
        """
        stamped, sep, signature = signed.rpartition(":")
        value, sep2, stamp = stamped.rpartition(":")
        if not (sep and sep2 and value and stamp.isascii() and stamp.isdigit()):
            raise BadSignature("malformed signed value")
        if not any(
            hmac.compare_digest(signature.encode(), self._signature(key, stamped).encode())
            for key in self._keys
        ):
            raise BadSignature("signature does not match")
        age = clock.now().timestamp() - int(stamp)
        if age < -CLOCK_SKEW_S:
            raise SignatureExpired("signed in the future")
        if max_age is not None and age > max_age:
            raise SignatureExpired(f"signature is {age:.0f} s old, more than {max_age:.0f} s")
        return value

    def dumps(self, data: Any) -> str:
        """Sign a JSON-serialisable value (compact JSON, base64url)."""
        payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        return self.sign(_b64encode(payload))

    def loads(self, signed: str, *, max_age: float | None = None) -> Any:
        """The value :meth:`dumps` signed. Raises BadSignature or SignatureExpired."""
        payload = self.unsign(signed, max_age=max_age)
        try:
            return json.loads(_b64decode(payload))
        except (ValueError, UnicodeDecodeError):
            # Only reachable with a valid signature over garbage: a bug, or a stolen key.
            raise BadSignature("signed payload is not JSON") from None
