"""Card-vault encryption: seals per second, and nonce uniqueness over 10**6 seals.

    .venv/bin/python bench/vault_crypto.py [--count 1000000]

docs/security.md SEC-26 asks for 0 reused nonces in 10**6 encryptions. Each seal draws two
96-bit nonces (the data key's wrap under the master key, and the card number under the
data key); every one is kept and counted. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from zhifu.vault import crypto


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (`zhifu bench vault_crypto` calls this too); the exit status."""
    parser = argparse.ArgumentParser(prog="bench/vault_crypto.py", description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    ring = crypto.KeyRing({1: os.urandom(32)})
    pan = "4242424242424242"
    wrap_nonces: set[bytes] = set()
    card_nonces: set[bytes] = set()
    started = time.perf_counter()
    for i in range(args.count):
        sealed = crypto.seal(ring, f"card_{i}", "1", pan)
        wrap_nonces.add(sealed.wrapped_key[: crypto.NONCE_BYTES])
        card_nonces.add(sealed.ciphertext[: crypto.NONCE_BYTES])
    seal_s = time.perf_counter() - started
    sample = crypto.seal(ring, "card_x", "1", pan)
    started = time.perf_counter()
    n_open = min(args.count, 200_000)
    for _ in range(n_open):
        crypto.unseal(ring, "card_x", "1", sample)
    open_s = time.perf_counter() - started
    print(f"seals:            {args.count:,} in {seal_s:.1f} s = {args.count / seal_s:,.0f}/s")
    print(f"unseals:          {n_open:,} in {open_s:.1f} s = {n_open / open_s:,.0f}/s")
    print(f"master-key nonces: {len(wrap_nonces):,} distinct of {args.count:,} "
          f"({args.count - len(wrap_nonces)} reused)")  # fmt: skip
    print(f"data-key nonces:   {len(card_nonces):,} distinct of {args.count:,} "
          f"({args.count - len(card_nonces)} reused)")  # fmt: skip
    return 0 if len(wrap_nonces) == len(card_nonces) == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
