"""SEC-30 for recovery: no token, answer or payment password in any log line, e-mail
(other than the link itself), page, URL after the first redirect, or table in clear."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.test import Client

from tests.wallet.accounts.support import new_buyer, sign_in
from tests.wallet.recovery.support import FREEZE, LINK, ask, deliver, table_dump
from zhifu.accounts.models import Platform
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import QuestionChoice, normalize_answer

pytestmark = pytest.mark.django_db

OLD_PIN = "730519"
NEW_PIN = "461937"
ANSWERS = ["Canary Pet Qzx1", "Canary City Wvy2", "Canary Book Ptu3"]


def test_no_secret_of_a_recovery_leaks(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = new_buyer("canary@example.com")
    credentials.register_credentials(
        user,
        OLD_PIN,
        [
            QuestionChoice("first_pet", ANSWERS[0]),
            QuestionChoice("birth_city", ANSWERS[1]),
            QuestionChoice("favourite_book", ANSWERS[2]),
        ],
    )
    client = Client()
    sign_in(client, user, platform)
    pages: list[str] = []
    urls: list[str] = []

    def get(path: str) -> str:
        resp = client.get(path)
        if resp.status_code == 302:
            urls.append(resp["Location"])
        pages.append(resp.content.decode())
        return resp.get("Location", "")

    assert ask(client, "canary@example.com").status_code == 302
    deliver()
    link_mail = mail.outbox[-1]
    token_path = LINK.search(link_mail.body).group(1)  # type: ignore[union-attr]
    token = token_path.rstrip("/").rsplit("/", 1)[1]
    questions = get(token_path)
    get(questions)
    answers = {f"answer_{n}": a for n, a in enumerate(ANSWERS, start=1)}
    wrong = client.post(questions, {**answers, "answer_3": "Canary Wrong Zzz9"})
    pages.append(wrong.content.decode())
    resp = client.post(questions, answers)
    urls.append(resp["Location"])
    get(resp["Location"])
    resp = client.post(resp["Location"], {"pin": NEW_PIN, "pin_repeat": NEW_PIN})
    assert resp.status_code == 302, resp.content.decode()
    urls.append(resp["Location"])
    get(resp["Location"])
    get("/recovery/log/")
    get("/account/")
    freeze_mail = mail.outbox[-1]
    freeze_path = FREEZE.search(freeze_mail.body).group(1)  # type: ignore[union-attr]
    freeze_token = freeze_path.rstrip("/").rsplit("/", 1)[1]
    stranger = Client()
    resp = stranger.get(freeze_path)
    urls.append(resp["Location"])
    pages.append(stranger.get(resp["Location"]).content.decode())
    pages.append(stranger.post("/recovery/freeze/").content.decode())
    deliver()

    secrets = [token, freeze_token, OLD_PIN, NEW_PIN, *ANSWERS, "Canary Wrong Zzz9"]
    secrets += [normalize_answer(a) for a in ANSWERS]
    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    mails = []
    for message in mail.outbox:
        body = message.subject + message.body
        body = body.replace(token_path, "").replace(freeze_path, "")  # the links themselves
        mails.append(body)
    dump = table_dump()
    assert "canary@example.com" in dump  # the dump does see the data
    for where, text in {
        "logs": logs,
        "mails": "\n".join(mails),
        "pages": "\n".join(pages),
        "urls": "\n".join(urls),
        "tables": dump,
    }.items():
        lowered = text.casefold()
        for secret in secrets:
            assert secret.casefold() not in lowered, (where, secret)
        for part in ("qzx1", "wvy2", "ptu3", "zzz9"):
            assert part not in lowered, (where, part)
