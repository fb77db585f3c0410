"""Wallet users, platforms and sign-in (the wallet site)."""
