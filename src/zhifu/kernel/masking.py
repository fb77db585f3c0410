"""Find and mask card numbers in free text (logs, chat messages, error strings).

A candidate is a run of 13-19 digits, optionally grouped by single spaces or dashes; it is
masked only if it passes the Luhn check, so order numbers and timestamps stay readable.
The first four and last four digits remain, as on every masked card display.
"""

from __future__ import annotations

import re

_CANDIDATE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])")
MASK = "\u2022\u2022\u2022\u2022"


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _mask(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = re.sub(r"[ -]", "", text)
    if not luhn_valid(digits):
        return text
    return f"{digits[:4]} {MASK} {digits[-4:]}"


def mask_card_numbers(text: str) -> str:
    """Replace every Luhn-valid 13-19 digit run with 'first4 •••• last4'."""
    if len(text) < 13:
        return text
    return _CANDIDATE.sub(_mask, text)
