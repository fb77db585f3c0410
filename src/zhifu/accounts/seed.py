"""Demo data for the wallet, safe to run on every start (nothing is created twice)."""

from __future__ import annotations


def seed() -> list[str]:
    # Platforms (the shops the wallet serves) are seeded here once the SSO capability lands.
    return []
