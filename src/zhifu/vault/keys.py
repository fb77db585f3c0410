"""Where the vault's keys come from.

The master key ring is ZHIFU_VAULT_MASTER_KEYS if set, else the file
<data-dir>/secrets/vault_master_keys. The file is re-read when it changes, so
`zhifu vault rotate-keys` in demo mode needs no restart of the running wallet.
The fingerprint key (ZHIFU_VAULT_FINGERPRINT_KEY, hex) never rotates with the ring:
changing it would make every stored fingerprint unfindable.
"""

from __future__ import annotations

import threading
from pathlib import Path

from zhifu.config.site import config
from zhifu.vault.crypto import KeyRing, KeyRingError

_lock = threading.Lock()
# The last ring parsed and the stamp of its source (file mtime and size, or a hash).
_cached: tuple[object, KeyRing] | None = None


def ring_file() -> Path:
    return config().data_dir / "secrets" / "vault_master_keys"


def ring_from_environment() -> bool:
    return bool(config().env.vault_master_keys)


def key_ring() -> KeyRing:
    cfg = config()
    env_value = cfg.env.vault_master_keys
    if env_value:
        text = env_value.reveal()
        stamp: object = ("env", hash(text))
    else:
        path = ring_file()
        try:
            st = path.stat()
            stamp = ("file", str(path), st.st_mtime_ns, st.st_size)
            text = path.read_text()
        except FileNotFoundError:
            text = cfg.secret("vault_master_keys").reveal()
            stamp = ("settings", hash(text))
    global _cached
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
        ring = KeyRing.parse(text)
        _cached = (stamp, ring)
        return ring


def forget_cached_ring() -> None:
    """Drop the parsed ring, so the next key_ring() reads its source again. A test seam:
    running processes notice a changed file by its stamp and need no call."""
    global _cached
    with _lock:
        _cached = None


def fingerprint_key() -> bytes:
    value = config().secret("vault_fingerprint_key").reveal()
    try:
        key = bytes.fromhex(value.strip())
    except ValueError:
        raise KeyRingError("ZHIFU_VAULT_FINGERPRINT_KEY must be hex") from None
    if len(key) < 32:
        raise KeyRingError("ZHIFU_VAULT_FINGERPRINT_KEY must be at least 32 bytes (64 hex)")
    return key
