"""Find and mask card numbers in free text (logs, chat messages, error strings).

A candidate is a run of 13-19 digits, optionally grouped by single separators, any character
that is neither a letter nor a digit ("4242.4242/4242_4242" as well as spaces and dashes); it is
masked only if it passes the Luhn check, so order numbers and timestamps stay readable.
The first four and last four digits remain, as on every masked card display.
"""

from __future__ import annotations

import re

# A run of digits grouped by single non-alphanumeric characters, at least 13 digits long.
_RUN = re.compile(r"(?<![0-9])[0-9](?:[\W_]?[0-9]){12,}(?![0-9])")
_GROUP = re.compile(r"[0-9]+")
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


def _mask_run(match: re.Match[str]) -> str:
    """Mask card numbers inside one run; they start and end on group boundaries.

    "19 4111 1111 1111 1111" holds a card number after the "19"; an ungrouped run of 20+
    digits is some other identifier and stays as it is.
    """
    run = match.group(0)
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)]
    pieces: list[str] = []
    cursor = 0
    i = 0
    while i < len(groups):
        found = None
        for j in range(len(groups) - 1, i - 1, -1):  # longest window first
            digits = "".join(run[a:b] for a, b in groups[i : j + 1])
            if 13 <= len(digits) <= 19 and luhn_valid(digits):
                found = (j, digits)
                break
        if found is None:
            i += 1
            continue
        j, digits = found
        start, end = groups[i][0], groups[j][1]
        pieces += [run[cursor:start], f"{digits[:4]} {MASK} {digits[-4:]}"]
        cursor = end
        i = j + 1
    pieces.append(run[cursor:])
    return "".join(pieces)


def mask_card_numbers(text: str) -> str:
    """Replace every Luhn-valid 13-19 digit number with 'first4 •••• last4'."""
    if len(text) < 13:
        return text
    return _RUN.sub(_mask_run, text)
