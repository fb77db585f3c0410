"""Canary: no PIN or answer is stored in clear anywhere in the wallet's database
(docs/security.md SEC-14)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from tests.wallet.accounts.support import new_buyer, sign_in
from zhifu.accounts.models import Platform
from zhifu.credentials.domain import normalize_answer

pytestmark = pytest.mark.django_db

CANARY_PIN = "730519"
CANARY_ANSWERS = ["Canary Pet Qzx1", "Canary City Wvy2", "Canary Book Ptu3"]


def _dump() -> str:
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_database_holds_no_pin_or_answer_in_clear(client: Client, platform: Platform) -> None:
    sign_in(client, new_buyer(), platform)
    client.post("/confirm-email/", {"email": "canary@example.com"})
    link = re.search(r"/confirm-email/[\w-]+/", mail.outbox[-1].body)
    assert link
    resp = client.post(
        link.group(0),
        {
            "pin": CANARY_PIN,
            "pin_repeat": CANARY_PIN,
            "question_1": "first_pet",
            "answer_1": CANARY_ANSWERS[0],
            "question_2": "birth_city",
            "answer_2": CANARY_ANSWERS[1],
            "question_3": "favourite_book",
            "answer_3": CANARY_ANSWERS[2],
        },
    )
    assert resp.status_code == 302
    dump = _dump()
    assert "canary@example.com" in dump  # the dump does see the data
    lowered = dump.casefold()
    for secret in [CANARY_PIN, *CANARY_ANSWERS]:
        assert secret.casefold() not in lowered
        assert normalize_answer(secret) not in lowered
    for part in ("qzx1", "wvy2", "ptu3"):
        assert part not in lowered
