"""Envelope encryption for card numbers, free of Django (only `cryptography`).

* Each card gets its own 256-bit data key; the card number is sealed with AES-256-GCM under
  it, with a fresh random 96-bit nonce.
* The data key is sealed (wrapped) with AES-256-GCM under a master key from a versioned key
  ring; the record keeps the master key's version. Master keys never touch the database.
* Both seals carry associated data naming the card id, the owner and (for the wrap) the key
  version: a ciphertext copied into another row, or a wrapped key relabelled with another
  version, fails authentication instead of decrypting.
* Nonces are random (os.urandom via AESGCM's caller): a data key seals exactly one message,
  and a master key seals one data key per card and per rotation, far below the 2**32
  random-nonce budget NIST SP 800-38D sets per key.

Failures raise VaultError subclasses whose messages name the card and say what to do.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32
_CARD_AAD = b"zhifu.vault.card.v1"
_WRAP_AAD = b"zhifu.vault.dek.v1"
_FINGERPRINT_DOMAIN = b"zhifu.vault.fingerprint.v1:"


class VaultError(Exception):
    """Something in the vault cannot be trusted or used; never swallowed."""


class KeyRingError(VaultError):
    """The configured key ring is malformed."""


class UnknownKeyVersion(VaultError):
    def __init__(self, card_id: str, version: int, available: tuple[int, ...]) -> None:
        super().__init__(
            f"card {card_id} is protected by master key version {version}, which is not in "
            f"the key ring (versions {', '.join(map(str, available)) or 'none'}): the key was "
            "retired before rotation re-wrapped this card. Put the version back into "
            "ZHIFU_VAULT_MASTER_KEYS, run `zhifu vault rotate-keys`, and retire it only when "
            "`zhifu vault status` shows 0 records on it."
        )
        self.card_id = card_id
        self.version = version


class TamperedRecord(VaultError):
    def __init__(self, card_id: str, part: str) -> None:
        super().__init__(
            f"card {card_id}: the {part} failed authentication - the record was altered, or "
            "copied from another card or owner. Nothing was decrypted; restore the row from "
            "a backup."
        )
        self.card_id = card_id
        self.part = part


@dataclass(frozen=True)
class KeyRing:
    """Master keys by version; the highest version seals new data keys.

    Format (ZHIFU_VAULT_MASTER_KEYS, or <data-dir>/secrets/vault_master_keys):
    ``version:base64key[,version:base64key...]``, each key 32 random bytes.
    """

    keys: dict[int, bytes]

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyRingError("the vault key ring is empty")
        for version, key in self.keys.items():
            if version < 1:
                raise KeyRingError(f"key version {version}: versions start at 1")
            if len(key) != KEY_BYTES:
                raise KeyRingError(f"key version {version}: a master key is 32 bytes")

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        keys: dict[int, bytes] = {}
        for item in text.replace("\n", ",").split(","):
            item = item.strip()
            if not item:
                continue
            version_text, sep, b64 = item.partition(":")
            if not sep or not version_text.strip().isdigit():
                raise KeyRingError("expected version:base64key[,version:base64key...]")
            version = int(version_text)
            if version in keys:
                raise KeyRingError(f"key version {version} appears twice")
            try:
                keys[version] = base64.b64decode(b64.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"key version {version}: not base64") from None
        return cls(keys)

    @property
    def current(self) -> int:
        return max(self.keys)

    @property
    def versions(self) -> tuple[int, ...]:
        return tuple(sorted(self.keys))

    def with_new_key(self) -> tuple[KeyRing, int]:
        version = self.current + 1
        return KeyRing({**self.keys, version: AESGCM.generate_key(bit_length=256)}), version

    def serialize(self) -> str:
        return ",".join(f"{v}:{base64.b64encode(self.keys[v]).decode()}" for v in sorted(self.keys))

    def __repr__(self) -> str:
        return f"KeyRing(versions={self.versions})"


@dataclass(frozen=True)
class SealedCard:
    key_version: int
    wrapped_key: bytes  # nonce || AES-GCM(master, data key)
    ciphertext: bytes  # nonce || AES-GCM(data key, card number)


def _card_aad(card_id: str, owner_id: str) -> bytes:
    return b"|".join((_CARD_AAD, card_id.encode(), owner_id.encode()))


def _wrap_aad(card_id: str, owner_id: str, version: int) -> bytes:
    return b"|".join((_WRAP_AAD, card_id.encode(), owner_id.encode(), str(version).encode()))


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


def _master(ring: KeyRing, card_id: str, version: int) -> bytes:
    try:
        return ring.keys[version]
    except KeyError:
        raise UnknownKeyVersion(card_id, version, ring.versions) from None


def seal(ring: KeyRing, card_id: str, owner_id: str, number: str) -> SealedCard:
    data_key = AESGCM.generate_key(bit_length=256)
    version = ring.current
    return SealedCard(
        key_version=version,
        wrapped_key=_seal(ring.keys[version], data_key, _wrap_aad(card_id, owner_id, version)),
        ciphertext=_seal(data_key, number.encode("ascii"), _card_aad(card_id, owner_id)),
    )


def _unwrap(ring: KeyRing, card_id: str, owner_id: str, version: int, wrapped: bytes) -> bytes:
    master = _master(ring, card_id, version)
    try:
        return _open(master, bytes(wrapped), _wrap_aad(card_id, owner_id, version))
    except (InvalidTag, ValueError):
        raise TamperedRecord(card_id, "wrapped data key") from None


def unseal(ring: KeyRing, card_id: str, owner_id: str, sealed: SealedCard) -> str:
    data_key = _unwrap(ring, card_id, owner_id, sealed.key_version, sealed.wrapped_key)
    try:
        plain = _open(data_key, bytes(sealed.ciphertext), _card_aad(card_id, owner_id))
    except (InvalidTag, ValueError):
        raise TamperedRecord(card_id, "card number ciphertext") from None
    return plain.decode("ascii")


def rewrap(ring: KeyRing, card_id: str, owner_id: str, sealed: SealedCard) -> SealedCard:
    """The same data key and ciphertext, the data key sealed under the current master key.

    The data key is authenticated on the way (a tampered wrap refuses to be re-wrapped);
    the card number itself is never decrypted.
    """
    data_key = _unwrap(ring, card_id, owner_id, sealed.key_version, sealed.wrapped_key)
    version = ring.current
    return SealedCard(
        key_version=version,
        wrapped_key=_seal(ring.keys[version], data_key, _wrap_aad(card_id, owner_id, version)),
        ciphertext=bytes(sealed.ciphertext),
    )


def fingerprint(key: bytes, number: str) -> str:
    """HMAC-SHA256 of the card number under the fingerprint key (base64url, 43 characters).

    Keyed, so the 10**9 or so numbers that share a BIN and last four cannot be hashed by
    brute force from a database dump alone. Base64 rather than hex: hex digests often hold
    13+ decimal digits in a row that pass the Luhn check, which card-number scanners (and
    the canary test) would flag.
    """
    mac = hmac.new(key, _FINGERPRINT_DOMAIN + number.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
