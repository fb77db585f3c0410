"""Which time-zone names a browser may report, and how a shown time names its zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from zhifu.kernel.local_time import MSK_RU, label, parse_zone

INSTANT = dt.datetime(2026, 12, 1, 11, 14, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 1, 11, 14, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "name", ["Europe/Moscow", "UTC", "Asia/Shanghai", "America/Argentina/Buenos_Aires", "Etc/GMT+3"]
)
def test_names_of_the_tz_database_are_accepted(name: str) -> None:
    zone = parse_zone(name)
    assert zone is not None
    assert zone.key == name


@pytest.mark.parametrize(
    "name",
    [
        None, "", "Mars/Olympus_Mons", "../../../etc/passwd", "/etc/localtime", "Europe/Moscow ",
        "europe/moscow\x00", "Europe/" + "A" * 80, "<script>", "Europe/Moscow/../../x",
    ],
)  # fmt: skip
def test_anything_else_is_refused(name: str | None) -> None:
    assert parse_zone(name) is None


@pytest.mark.parametrize(
    ("zone", "moment", "english", "russian"),
    [
        ("UTC", INSTANT, "UTC", "UTC"),
        ("Europe/Moscow", INSTANT, "GMT+3", MSK_RU),
        ("Europe/Simferopol", INSTANT, "GMT+3", MSK_RU),
        ("Asia/Shanghai", INSTANT, "GMT+8", "UTC+8"),
        ("Asia/Kolkata", INSTANT, "GMT+5:30", "UTC+5:30"),
        ("America/New_York", INSTANT, "GMT-5", "UTC-5"),
        ("America/New_York", SUMMER, "GMT-4", "UTC-4"),  # daylight saving time
        ("Europe/Istanbul", INSTANT, "GMT+3", "UTC+3"),  # Moscow's offset, not Moscow time
    ],
)
def test_the_label_names_the_zone_for_each_language(
    zone: str, moment: dt.datetime, english: str, russian: str
) -> None:
    local = moment.astimezone(ZoneInfo(zone))
    assert label(local, "en") == english
    assert label(local, "ru") == russian


def test_a_datetime_in_utc_itself_is_labelled_utc() -> None:
    assert label(INSTANT, "ru") == "UTC"
    assert label(INSTANT, "en") == "UTC"
