# ruff: noqa: RUF001 - the long password mixes scripts on purpose
"""docs/security.md SEC-13, shop login: weak passwords are refused with a reason, and a long
Unicode password is accepted with every character counting.

The top 3,000 entries of Django's common-password list (the first 3,000 lines of
django/contrib/auth/common-passwords.txt.gz, most common first) go through the sign-up form
directly, not over HTTP, so all of them run in seconds.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import django.contrib.auth
import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django.utils import translation

from tests.marketplace.conftest import finish_sign_up
from zhifu.marketplace.forms import SignUpForm
from zhifu.marketplace.models import Buyer

pytestmark = pytest.mark.django_db

TOP = 3000
COMMON_LIST = Path(django.contrib.auth.__file__).with_name("common-passwords.txt.gz")
# 64 characters from six scripts, three outside the Basic Multilingual Plane (4 bytes each).
LONG = "Пароль-密码-パスワード-كلمة-Σύνθημα-🔐🦊🌊-Съешь ещё этих булок,  𝔘𝔫𝔦𝔠𝔬𝔡𝔢!"


def top_common_passwords() -> list[str]:
    with gzip.open(COMMON_LIST, "rt", encoding="utf-8") as f:
        lines = [line.strip() for _, line in zip(range(TOP), f, strict=False)]
    assert len(lines) == TOP
    assert all(lines)
    return lines


def _form(password: str, email: str = "weak@example.org") -> SignUpForm:
    return SignUpForm(
        {"name": "Ivan Sidorov", "email": email, "password": password, "locale": "en"}
    )


def test_the_top_3000_common_passwords_are_refused_with_a_reason() -> None:
    passwords = top_common_passwords()
    assert passwords[0] == "123456"  # the list, most common first
    accepted, unexplained = [], []
    with translation.override("en"):
        for password in passwords:
            form = _form(password)
            if form.is_valid():
                accepted.append(password)
                continue
            errors = form.errors.as_data().get("password", [])
            codes = {e.code for e in errors}
            messages = [m for e in errors for m in e.messages]
            # The reason is said: "too common" for each of them (some are also too short
            # or entirely numeric, which the form says too).
            if "password_too_common" not in codes or not all(m.strip() for m in messages):
                unexplained.append((password, codes))
            elif "This password is too common." not in messages:
                unexplained.append((password, messages))
    assert accepted == []
    assert unexplained == []


def _variants(password: str) -> list[str]:
    """The password with exactly one character changed, for each of its positions."""
    out = []
    for i, ch in enumerate(password):
        other = "x" if ch != "x" else "y"
        out.append(password[:i] + other + password[i + 1 :])
    return out


def test_a_64_character_unicode_password_is_accepted_and_every_character_counts(
    client: Client,
) -> None:
    assert len(LONG) == 64
    assert len(LONG.encode()) > 128  # far beyond any 72-byte (bcrypt) cut-off
    assert _form(LONG, "long@example.org").is_valid()
    response = client.post(
        "/signup/",
        {"name": "Long Pass", "email": "long@example.org", "password": LONG, "locale": "en"},
    )
    assert response.status_code == 302
    assert finish_sign_up(client, "long@example.org").status_code == 302
    buyer = Buyer.objects.get(email="long@example.org")

    # The real login page takes the whole password …
    client.post("/logout/")
    response = client.post("/login/", {"username": "long@example.org", "password": LONG})
    assert response.status_code == 302, response.content.decode()[:500]
    # … and refuses it with the last character changed.
    client.post("/logout/")
    response = client.post("/login/", {"username": "long@example.org", "password": LONG[:-1]})
    assert response.status_code == 200
    assert "The e-mail or password is incorrect." in response.content.decode()

    # Each of the 64 characters is checked: changing any one of them makes login fail (the
    # authentication backend the login form uses, without the lockout counting 64 misses).
    backend = ModelBackend()
    assert backend.authenticate(None, username="long@example.org", password=LONG) == buyer
    variants = _variants(LONG)
    assert len(set(variants)) == len(variants) == 64
    assert LONG not in variants
    passed = [
        i
        for i, variant in enumerate(variants)
        if backend.authenticate(None, username="long@example.org", password=variant) is not None
    ]
    assert passed == []
