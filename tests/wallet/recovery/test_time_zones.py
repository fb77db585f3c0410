"""Times in the buyer's zone (the zhifu_tz cookie timezone.js sets), always labelled: the
security log at a pinned instant, read from Moscow, from Shanghai and with no cookie."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client
from django.utils import timezone, translation

from tests.wallet.recovery.support import buyer_client
from zhifu.accounts.models import Platform
from zhifu.kernel.local_time import MSK_RU
from zhifu.security import services as security
from zhifu.security.domain import EventKind
from zhifu.web.timezone import COOKIE

pytestmark = pytest.mark.django_db
INSTANT = dt.datetime(2026, 12, 1, 11, 14, tzinfo=dt.UTC)


def _log(client: Client, language: str, zone: str | None) -> str:
    if zone is None:
        client.cookies.pop(COOKIE, None)
    else:
        client.cookies[COOKIE] = zone
    return client.get("/recovery/log/", HTTP_ACCEPT_LANGUAGE=language).content.decode()


def test_the_security_log_shows_the_buyer_s_local_time_with_its_zone(platform: Platform) -> None:
    user, client = buyer_client(platform)
    with time_machine.travel(INSTANT, tick=False):
        security.record(user, EventKind.PIN_WRONG)
    assert f"14:14\xa0({MSK_RU})" in _log(client, "ru", "Europe/Moscow")
    assert "19:14\xa0(UTC+8)" in _log(client, "ru", "Asia/Shanghai")
    assert "19:14\xa0(UTC+8)" in _log(client, "ru", "Asia%2FShanghai")  # an escaped slash
    assert "2:14 p.m.\xa0(GMT+3)" in _log(client, "en", "Europe/Moscow")
    assert "11:14\xa0(UTC)" in _log(client, "ru", None)
    # A name the tz database does not list leaves the page in UTC, still labelled.
    assert "11:14\xa0(UTC)" in _log(client, "ru", "../../etc/localtime")
    assert "UTC" not in _log(client, "ru", "Europe/Moscow")  # nor in the column's heading


def test_the_when_filter_outside_a_request_is_utc_and_says_so() -> None:
    """E-mails are rendered by the outbox, with no buyer's zone active."""
    template = Template('{% load local_time %}{{ at|when:"TIME_FORMAT" }}|{{ nothing|when }}')
    with translation.override("ru"), timezone.override(dt.UTC):
        assert template.render(Context({"at": INSTANT, "nothing": "x"})) == "11:14\xa0(UTC)|"
