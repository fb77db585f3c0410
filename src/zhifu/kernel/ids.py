"""Identifiers: sortable, unguessable, prefixed by what they name ("pay_01J...").

Layout follows ULID: 48 bits of milliseconds then 80 random bits, in Crockford base32.
Sorting by id sorts by creation time (keyset pagination relies on it), and 80 random bits
make ids useless to guess, but an id is a name, not a secret: it leaks its creation time.
Secrets (keys, single-use link tokens) come from `token()` instead, which has no time part
and refuses fewer than 128 random bits (the demo's Django SECRET_KEY is one).
"""

from __future__ import annotations

import re
import secrets

from zhifu.kernel import clock

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PREFIX = re.compile(r"^[a-z][a-z0-9]{0,11}$")


def _b32(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    if not _PREFIX.match(prefix):
        raise ValueError(f"bad id prefix {prefix!r}")
    millis = int(clock.now().timestamp() * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | secrets.randbits(80)
    return f"{prefix}_{_b32(value, 26)}"


def token(nbytes: int = 16) -> str:
    """A URL-safe random secret of at least 128 bits."""
    if nbytes < 16:
        raise ValueError("secret tokens need at least 128 bits")
    return secrets.token_urlsafe(nbytes)
