"""``{{ moment|when }}``: a time in the buyer's zone with the zone named, for every page and
e-mail of the three sites (zhifu.web.timezone activates the zone; e-mails, rendered without
a request, show UTC and say so)."""

from __future__ import annotations

import datetime as dt

from django import template

from zhifu.web.timezone import local_text

register = template.Library()


@register.filter
def when(value: object, format_name: str = "DATETIME_FORMAT") -> str:
    """`value` as ``local_text`` shows it ("TIME_FORMAT" for the time alone); "" for
    anything but a datetime."""
    return local_text(value, format_name) if isinstance(value, dt.datetime) else ""
