"""docs/security.md SEC-14 (how secrets are stored), for the wallet's payment passwords and
security answers.

Several buyers register through the services (the path the registration form takes), one
changes the payment password and one the answers. Then every stored PIN and answer hash in
the database is parsed as a PHC string: 100% argon2id, m ≥ 19456 KiB, t ≥ 2, every salt
unique; and a dump of every row of every table (wallet and vault databases) holds none of
the test secrets, as typed, case-folded or normalized.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any

import pytest
from django.core import mail
from django.db import connections

from tests.wallet.accounts.support import new_buyer
from tests.wallet.stepup import proof_for
from zhifu.accounts import services as accounts
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import Action, QuestionChoice, bound, normalize_answer, pin_problems
from zhifu.credentials.models import PaymentPassword, SecurityAnswer

pytestmark = [pytest.mark.django_db(databases=["default", "vault"]), pytest.mark.production_hashing]

PHC = re.compile(
    r"^\$argon2id\$v=19\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)$"
)
MIN_MEMORY_KIB = 19456
MIN_TIME_COST = 2
BUYERS = 5


def _good_pin() -> str:
    while True:
        pin = f"{secrets.randbelow(10**6):06d}"
        if not pin_problems(pin, pin):
            return pin


def _answers(marker: str) -> list[QuestionChoice]:
    return [
        QuestionChoice("first_pet", f"Pet {marker} Ёжик"),
        QuestionChoice("birth_city", f"City {marker} Kazan"),
        QuestionChoice("favourite_book", f"Book {marker} Master"),
    ]


def _register(n: int) -> tuple[str, list[QuestionChoice]]:
    user = new_buyer()
    address = f"stored-{n}@example.com"
    accounts.send_confirmation(user, address)
    match = re.search(r"/confirm-email/([\w-]+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    pin, choices = _good_pin(), _answers(f"mk{secrets.token_hex(4)}")
    accounts.complete_registration(user, match.group(1), pin, choices)
    assert credentials.verify_payment_password(user, pin)
    return pin, choices


def _text_values() -> list[tuple[str, str]]:
    """(where, value) for every non-numeric value of every row of every table."""
    found = []
    for alias in ("default", "vault"):
        conn = connections[alias]
        with conn.cursor() as cur:
            for table in conn.introspection.table_names(cur):
                cur.execute(f"SELECT * FROM {conn.ops.quote_name(table)}")
                for row in cur.fetchall():
                    for value in row:
                        found.extend((f"{alias}.{table}", t) for t in _renderings(value))
    return found


def _renderings(value: Any) -> list[str]:
    if value is None or isinstance(value, bool | int | float | dt.date | dt.datetime):
        return []  # numbers and times the database assigns: never a typed secret
    if isinstance(value, memoryview | bytes):
        raw = bytes(value)
        return [raw.decode("latin-1"), base64.b64encode(raw).decode()]
    return [str(value)]


def test_every_pin_and_answer_hash_is_argon2id_with_unique_salts() -> None:
    registered = [_register(n) for n in range(BUYERS)]
    # The change paths hash too: a new payment password, new answers.
    changer = PaymentPassword.objects.order_by("id").first()
    assert changer is not None
    new_pin, new_choices = _good_pin(), _answers(f"mk{secrets.token_hex(4)}")
    pin_change = proof_for(changer.user, bound(Action.PIN_CHANGE))
    credentials.change_payment_password(changer.user, new_pin, step_up=pin_change)
    questions_change = proof_for(changer.user, bound(Action.QUESTIONS_CHANGE))
    credentials.change_security_questions(changer.user, new_choices, step_up=questions_change)
    registered.append((new_pin, new_choices))

    hashes = [("pin", h) for h in PaymentPassword.objects.values_list("pin_hash", flat=True)]
    hashes += [("answer", h) for h in SecurityAnswer.objects.values_list("answer_hash", flat=True)]
    assert len(hashes) == BUYERS * 4  # every stored hash, none missed
    salts: list[bytes] = []
    for kind, encoded in hashes:
        parsed = PHC.match(encoded)
        assert parsed, f"{kind} hash is not an argon2id PHC string: {encoded[:20]}…"
        assert int(parsed["m"]) >= MIN_MEMORY_KIB, (kind, encoded)
        assert int(parsed["t"]) >= MIN_TIME_COST, (kind, encoded)
        assert int(parsed["p"]) >= 1
        salt = base64.b64decode(parsed["salt"] + "=" * (-len(parsed["salt"]) % 4))
        assert len(salt) >= 16, "salts of at least 128 bits"
        salts.append(salt)
    assert len(set(salts)) == len(salts), "a salt was reused"

    # 0 plaintext hits in a dump of every table of both databases.
    values = _text_values()
    assert any("stored-0@example.com" in v for _, v in values)  # the dump does see the data
    hits = []
    for pin, choices in registered:
        needles = {pin}
        for choice in choices:
            marker = choice.answer.split()[1]
            needles |= {choice.answer, choice.answer.casefold(), normalize_answer(choice.answer)}
            needles.add(marker)
        for where, value in values:
            folded = value.casefold()
            hits += [(where, n) for n in needles if n.casefold() in folded]
    assert hits == []
