"""Helpers of the recovery tests: a solved captcha, the worker's turn, the e-mailed links."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

import time_machine
from captcha.models import CaptchaStore
from django.core import mail
from django.db import connection
from django.test import Client

from tests.wallet.accounts.support import GOOD_CHOICES, GOOD_PIN, registered_buyer, sign_in
from zhifu.accounts.models import Platform, User
from zhifu.credentials import services as credentials
from zhifu.credentials.errors import CredentialsRefusal
from zhifu.kernel import clock
from zhifu.outbox.models import OutboxMessage
from zhifu.outbox.services import dispatch_due

ANSWERS = [c.answer for c in GOOD_CHOICES]
NEW_PIN = "284061"
LINK = re.compile(r"https?://[^/\s]+(/recovery/link/[\w-]+/)")
FREEZE = re.compile(r"https?://[^/\s]+(/recovery/freeze/[\w-]+/)")
CONFIRM = re.compile(r"https?://[^/\s]+(/recovery/confirm/[\w-]+/)")

__all__ = ["ANSWERS", "GOOD_PIN", "NEW_PIN", "registered_buyer", "sign_in"]


def captcha() -> dict[str, str]:
    """A fresh captcha and its answer, as a buyer who can read the picture types it."""
    key = CaptchaStore.generate_key()
    return {"captcha_0": key, "captcha_1": CaptchaStore.objects.get(hashkey=key).response}


def ask(client: Client, email: str, ip: str = "198.51.100.7") -> Any:
    return client.post("/recovery/", {"email": email, **captcha()}, REMOTE_ADDR=ip)


def deliver() -> None:
    """The worker's turn; a handler that failed fails the test."""
    dispatch_due()
    failed = OutboxMessage.objects.exclude(last_error="")
    assert not failed.exists(), list(failed.values_list("last_error", flat=True))


def links(pattern: re.Pattern[str] = LINK, to: str | None = None) -> list[str]:
    found = []
    for message in mail.outbox:
        if to is None or to in message.to:
            found += [m.group(1) for m in pattern.finditer(message.body)]
    return found


def buyer_client(platform: Platform, email: str = "reg@example.com") -> tuple[User, Client]:
    user = registered_buyer(email)
    client = Client()
    sign_in(client, user, platform)
    return user, client


def lock_pin(user: User) -> None:
    for _ in range(5):
        with contextlib.suppress(CredentialsRefusal):
            credentials.step_up(user, "000001", "pin.change")
    assert credentials.lock_state(user) is not None


def recover_until_answers(client: Client, email: str) -> str:
    """Ask, let the worker send, open the link: the questions page's path."""
    mail.outbox.clear()
    assert ask(client, email).status_code == 302
    deliver()
    (path,) = links(to=email)
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp["Referrer-Policy"] == "no-referrer"  # the token's URL leaks no Referer
    return str(resp["Location"])


def answer(client: Client, answers: list[str] = ANSWERS) -> Any:
    return client.post(
        "/recovery/questions/",
        {f"answer_{n}": a for n, a in enumerate(answers, start=1)},
    )


def new_pin(client: Client, pin: str = NEW_PIN, repeat: str | None = None) -> Any:
    return client.post("/recovery/new-password/", {"pin": pin, "pin_repeat": repeat or pin})


def table_dump() -> str:
    """Every row of every table of the default database, as text (the canary scans)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            chunks += [" ".join(str(v) for v in row) for row in cursor.fetchall()]
    return "\n".join(chunks)


def time_travel(minutes: int) -> time_machine.travel:
    """The clock, ``minutes`` from now, standing still."""
    return time_machine.travel(clock.now() + dt.timedelta(minutes=minutes), tick=False)
