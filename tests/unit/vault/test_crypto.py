"""Envelope encryption: round trip, tampering, moved rows, retired keys, rotation, nonces."""

from __future__ import annotations

import base64
import os

import pytest

from zhifu.vault import crypto

PAN = "4242424242424242"


def ring(*versions: int) -> crypto.KeyRing:
    return crypto.KeyRing({v: os.urandom(32) for v in versions})


def test_round_trip() -> None:
    r = ring(1)
    sealed = crypto.seal(r, "card_a", "7", PAN)
    assert sealed.key_version == 1
    assert PAN.encode() not in sealed.ciphertext + sealed.wrapped_key
    assert crypto.unseal(r, "card_a", "7", sealed) == PAN


@pytest.mark.parametrize("part", ["ciphertext", "wrapped_key"])
@pytest.mark.parametrize("index", [0, 5, 12, 20, -1])
def test_a_flipped_bit_fails_loudly(part: str, index: int) -> None:
    r = ring(1)
    sealed = crypto.seal(r, "card_a", "7", PAN)
    data = bytearray(getattr(sealed, part))
    data[index] ^= 0x01
    bad = crypto.SealedCard(
        sealed.key_version,
        bytes(data) if part == "wrapped_key" else sealed.wrapped_key,
        bytes(data) if part == "ciphertext" else sealed.ciphertext,
    )
    with pytest.raises(crypto.TamperedRecord, match=r"card_a.*failed authentication"):
        crypto.unseal(r, "card_a", "7", bad)


@pytest.mark.parametrize(("card_id", "owner"), [("card_b", "7"), ("card_a", "8")])
def test_a_ciphertext_moved_to_another_row_or_owner_fails(card_id: str, owner: str) -> None:
    r = ring(1)
    sealed = crypto.seal(r, "card_a", "7", PAN)
    with pytest.raises(crypto.TamperedRecord):
        crypto.unseal(r, card_id, owner, sealed)


def test_swapping_only_the_card_ciphertext_between_rows_fails() -> None:
    r = ring(1)
    a = crypto.seal(r, "card_a", "7", PAN)
    b = crypto.seal(r, "card_b", "7", "5555555555554444")
    mixed = crypto.SealedCard(b.key_version, b.wrapped_key, a.ciphertext)
    with pytest.raises(crypto.TamperedRecord, match="card number ciphertext"):
        crypto.unseal(r, "card_b", "7", mixed)


def test_relabelling_the_key_version_fails() -> None:
    r = ring(1, 2)
    sealed = crypto.seal(r, "card_a", "7", PAN)  # under version 2
    relabelled = crypto.SealedCard(1, sealed.wrapped_key, sealed.ciphertext)
    with pytest.raises(crypto.TamperedRecord):
        crypto.unseal(r, "card_a", "7", relabelled)


def test_a_record_under_a_retired_key_names_the_version_and_the_fix() -> None:
    old = ring(1)
    sealed = crypto.seal(old, "card_a", "7", PAN)
    retired = crypto.KeyRing({2: os.urandom(32)})
    with pytest.raises(crypto.UnknownKeyVersion) as exc:
        crypto.unseal(retired, "card_a", "7", sealed)
    assert "master key version 1" in str(exc.value)
    assert "rotate-keys" in str(exc.value)


def test_rewrap_moves_the_data_key_to_the_newest_version_without_touching_the_ciphertext() -> None:
    r1 = ring(1)
    sealed = crypto.seal(r1, "card_a", "7", PAN)
    r2, version = r1.with_new_key()
    assert version == 2
    moved = crypto.rewrap(r2, "card_a", "7", sealed)
    assert moved.key_version == 2
    assert moved.ciphertext == sealed.ciphertext
    assert crypto.unseal(crypto.KeyRing({2: r2.keys[2]}), "card_a", "7", moved) == PAN


def test_key_ring_parse_and_serialize() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    text = f"1:{base64.b64encode(k1).decode()}, 2:{base64.b64encode(k2).decode()}"
    r = crypto.KeyRing.parse(text)
    assert r.versions == (1, 2)
    assert r.current == 2
    assert crypto.KeyRing.parse(r.serialize()) == r
    assert base64.b64encode(k1).decode() not in repr(r)


@pytest.mark.parametrize(
    "text",
    ["", "1", "x:AAAA", "1:not-base64!", f"1:{base64.b64encode(b'short').decode()}",
     "1:" + base64.b64encode(bytes(32)).decode() + ",1:" + base64.b64encode(bytes(32)).decode(),
     "0:" + base64.b64encode(bytes(32)).decode()],
)  # fmt: skip
def test_a_malformed_key_ring_is_refused(text: str) -> None:
    with pytest.raises(crypto.KeyRingError):
        crypto.KeyRing.parse(text)


def test_fingerprint_is_keyed_and_stable() -> None:
    k1, k2 = os.urandom(32), os.urandom(32)
    assert crypto.fingerprint(k1, PAN) == crypto.fingerprint(k1, PAN)
    assert crypto.fingerprint(k1, PAN) != crypto.fingerprint(k2, PAN)
    assert crypto.fingerprint(k1, PAN) != crypto.fingerprint(k1, "4000056655665556")
    assert PAN not in crypto.fingerprint(k1, PAN)


def test_no_nonce_is_reused_in_100k_encryptions() -> None:
    """docs/security.md SEC-26 asks for 10**6; bench/vault_crypto.py runs that many."""
    r = ring(1)
    nonces: set[bytes] = set()
    n = 50_000
    for i in range(n):
        sealed = crypto.seal(r, f"card_{i}", "7", PAN)
        nonces.add(sealed.wrapped_key[: crypto.NONCE_BYTES])
        nonces.add(sealed.ciphertext[: crypto.NONCE_BYTES])
    assert len(nonces) == 2 * n
