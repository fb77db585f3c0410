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


COOKIE_SETTINGS = ("SESSION_COOKIE_", "CSRF_COOKIE_", "LANGUAGE_COOKIE_")


def secure_cookie_settings(site: str) -> dict[str, object]:
    """The site's cookie settings as production builds them (Secure, behind https), to
    apply with override_settings over the demo's plain-http ones."""
    from zhifu.config.base import build
    from zhifu.config.environment import Environment

    built = build(site, apps=[], env=Environment(secure_cookies=True))
    return {k: v for k, v in built.items() if k.startswith(COOKIE_SETTINGS)}


def not_host_prefixed(responses: Iterable[SimpleCookie]) -> list[str]:
    """Cookies that break the __Host- rules: the prefix, Secure, Path=/ and no Domain."""
    return [
        name
        for cookies in responses
        for name, morsel in cookies.items()
        if not (
            name.startswith("__Host-")
            and morsel["secure"]
            and morsel["path"] == "/"
            and not morsel["domain"]
        )
    ]
