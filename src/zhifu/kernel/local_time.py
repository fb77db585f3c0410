"""The buyer's time zone: which names are accepted, and how a shown time is labelled.

A time is always shown with its zone, since a bare "11:14" read in Moscow is three hours off:
"14:14 (MSK)" in Russian (Cyrillic letters) for Moscow time, "14:14 (UTC+8)" for another
zone, "2:14 PM (GMT+3)" in English, and "(UTC)" when the buyer's zone is not known
(docs/glossary.md, "Times").
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_ZONE = ZoneInfo("UTC")
# IANA names are short ASCII paths ("America/Argentina/Buenos_Aires", "Etc/GMT+3").
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+){0,2}")
MAX_NAME = 64
# The zones whose clocks show Moscow time, which a Russian reader calls MSK in Cyrillic.
MSK_RU = "\u041c\u0421\u041a"
_MOSCOW_TIME = frozenset({"Europe/Moscow", "Europe/Simferopol", "Europe/Kirov", "W-SU"})


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_zone(name: str | None) -> ZoneInfo | None:
    """The zone a browser reported (an IANA name), or None for anything else: only names
    the tz database lists are opened, so no cookie value reaches the file system."""
    if not name or len(name) > MAX_NAME or not _NAME.fullmatch(name) or name not in _known():
        return None
    return ZoneInfo(name)


def _offset(moment: dt.datetime) -> str:
    """ "+3", "-5", "+5:30" (hours, and minutes when there are any)."""
    offset = moment.utcoffset() or dt.timedelta(0)
    sign = "-" if offset < dt.timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours}" + (f":{rest:02d}" if rest else "")


def label(moment: dt.datetime, language: str) -> str:
    """The zone of an aware `moment` as a reader of `language` names it: "UTC"; MSK_RU or
    "UTC+8" in Russian; "GMT+3" in English."""
    zone = moment.tzinfo
    key = getattr(zone, "key", None)
    if key in ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu") or zone is dt.UTC:
        return "UTC"
    if language.startswith("ru"):
        return MSK_RU if key in _MOSCOW_TIME else f"UTC{_offset(moment)}"
    return f"GMT{_offset(moment)}"
