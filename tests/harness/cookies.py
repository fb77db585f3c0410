"""What makes the pinned clock safe for a real browser (tests/harness/clock.py)."""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import SimpleCookie


def dated_without_max_age(responses: Iterable[SimpleCookie]) -> list[str]:
    """Cookies dated by Expires alone: Chromium, on the real clock, would read the pinned
    servers' Expires as long past. Max-Age, which a browser honours first, is relative."""
    return [
        name
        for cookies in responses
        for name, morsel in cookies.items()
        if morsel["expires"] and morsel["max-age"] == ""
    ]
