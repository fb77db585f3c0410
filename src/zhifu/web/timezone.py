"""Times in the buyer's time zone: the browser reports it (static/zhifu/timezone.js sets the
``zhifu_tz`` cookie from ``Intl.DateTimeFormat().resolvedOptions().timeZone``, remembered for a
year) and this middleware activates it for the request, so Django's ``date`` filter and the
``when`` filter (templatetags/local_time.py) show local times. Without the cookie, or with
a name the tz database does not list, times stay in UTC, and are labelled so."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse
from django.utils import formats, timezone
from django.utils.translation import get_language

from zhifu.kernel.local_time import DEFAULT_ZONE, label, parse_zone

COOKIE = "zhifu_tz"


class TimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # A script of another version may have escaped the slash ("Europe%2FMoscow").
        name = unquote(request.COOKIES.get(COOKIE, ""))
        timezone.activate(parse_zone(name) or DEFAULT_ZONE)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def local_text(moment: dt.datetime, format_name: str = "DATETIME_FORMAT") -> str:
    """`moment` in the active zone and language, the zone named ("Dec. 1, 2026, 2:14 p.m.
    (GMT+3)", kernel.local_time.label); `format_name` is one of Django's formats
    ("TIME_FORMAT" for the time alone)."""
    local = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    shown = formats.date_format(local, format_name)
    return f"{shown}\u00a0({label(local, get_language() or 'en')})"
