"""docs/security.md SEC-14 (how secrets are stored), for shop passwords.

Django's Argon2PasswordHasher is the first (hashing) hasher; several buyers sign up through
the sign-up form and the service behind it; every stored password hash is parsed: 100%
argon2id with m ≥ 19456 KiB and t ≥ 2, unique salts; a dump of every table holds none of the
passwords.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import secrets
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher
from django.db import connection

from zhifu.marketplace import services
from zhifu.marketplace.forms import SignUpForm
from zhifu.marketplace.models import Buyer

pytestmark = [pytest.mark.django_db, pytest.mark.production_hashing]

# Django's encoding: "argon2" + the PHC string without its leading "$".
DJANGO_ARGON2 = re.compile(
    r"^argon2\$argon2id\$v=19\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)$"
)
MIN_MEMORY_KIB = 19456
MIN_TIME_COST = 2
BUYERS = 6


def test_django_hashes_new_passwords_with_argon2id_above_the_floor() -> None:
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = get_hasher("default")
    assert isinstance(hasher, Argon2PasswordHasher)
    assert hasher.memory_cost >= MIN_MEMORY_KIB  # Django 5.2: 102400 KiB
    assert hasher.time_cost >= MIN_TIME_COST  # Django 5.2: 2


def _values() -> list[tuple[str, str]]:
    found = []
    with connection.cursor() as cur:
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cur.fetchall():
                found.extend((table, text) for v in row for text in _renderings(v))
    return found


def _renderings(value: Any) -> list[str]:
    if value is None or isinstance(value, bool | int | float | dt.date | dt.datetime):
        return []
    if isinstance(value, memoryview | bytes):
        raw = bytes(value)
        return [raw.decode("latin-1"), base64.b64encode(raw).decode()]
    return [str(value)]


def test_every_stored_password_is_argon2id_with_a_unique_salt_and_no_plaintext() -> None:
    passwords = []
    for n in range(BUYERS):
        password = f"canary-{secrets.token_hex(6)}-пароль-{n}"
        form = SignUpForm(
            {"name": f"Buyer {n}", "email": f"hash{n}@example.org", "password": password,
             "locale": "en"}
        )  # fmt: skip
        assert form.is_valid(), form.errors
        data = form.cleaned_data
        services.register_buyer(
            email=data["email"], password=data["password"], name=data["name"], locale="en"
        )
        passwords.append(password)
    # A password change hashes too.
    changed = Buyer.objects.get(email="hash0@example.org")
    passwords.append(f"changed-{secrets.token_hex(6)}")
    changed.set_password(passwords[-1])
    changed.save()

    stored = list(Buyer.objects.values_list("password", flat=True))
    assert len(stored) == BUYERS
    salts = []
    for encoded in stored:
        parsed = DJANGO_ARGON2.match(encoded)
        assert parsed, f"not an argon2id hash: {encoded[:24]}…"
        assert int(parsed["m"]) >= MIN_MEMORY_KIB
        assert int(parsed["t"]) >= MIN_TIME_COST
        salts.append(parsed["salt"])
    assert len(set(salts)) == len(salts), "a salt was reused"
    for buyer in Buyer.objects.all():
        assert any(buyer.check_password(p) for p in passwords)

    values = _values()
    assert any("hash1@example.org" in v for _, v in values)  # the dump does see the data
    hits = [
        (table, p)
        for p in passwords
        for table, v in values
        for needle in (p, p.split("-")[1])  # the whole password and its random core
        if needle.casefold() in v.casefold()
    ]
    assert hits == []
