"""Hashing of the payment password and the security answers.

argon2id over HMAC-SHA256(pepper, purpose || value). The pepper lives outside the database
(config().secret("pepper")), so a stolen database alone cannot be brute-forced even for a
6-digit PIN; argon2id with explicit OWASP parameters makes each guess expensive when the
pepper is stolen too. The purpose prefix keeps a PIN hash from ever matching an answer hash.
"""

from __future__ import annotations

import hashlib
import hmac

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings

from zhifu.config.site import config

# OWASP Password Storage Cheat Sheet: m=19456 KiB (19 MiB), t=2, p=1. Set explicitly so a
# library upgrade never changes them silently.
MEMORY_KIB = 19456
TIME_COST = 2
PARALLELISM = 1

# The test settings set CREDENTIAL_HASH_PARAMETERS to cheap ones (a suite hashes thousands of
# PINs); production settings never do. The stored-hash tests unset it and assert the above.
PARAMETERS_SETTING = "CREDENTIAL_HASH_PARAMETERS"


def _hasher() -> PasswordHasher:
    chosen = getattr(settings, PARAMETERS_SETTING, None) or {}
    return PasswordHasher(
        time_cost=chosen.get("time_cost", TIME_COST),
        memory_cost=chosen.get("memory_cost", MEMORY_KIB),
        parallelism=chosen.get("parallelism", PARALLELISM),
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def _peppered(purpose: str, value: str) -> str:
    key = config().secret("pepper").reveal().encode()
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def make(purpose: str, value: str) -> str:
    return _hasher().hash(_peppered(purpose, value))


def check(purpose: str, value: str, encoded: str) -> bool:
    try:
        return _hasher().verify(encoded, _peppered(purpose, value))
    except (VerificationError, InvalidHashError):
        return False
