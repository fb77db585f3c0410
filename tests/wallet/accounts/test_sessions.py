"""Wallet sessions (docs/security.md SEC-20): timeouts, logout, CSRF, no change through GET."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client

from tests.wallet.accounts.support import registered_buyer, sign_in
from zhifu.accounts.models import Platform, User

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def user() -> User:
    return registered_buyer()


def test_signed_in_account_page_answers(client: Client, user: User, platform: Platform) -> None:
    sign_in(client, user, platform)
    assert client.get("/account/").status_code == 200


def test_signed_out_visitor_gets_401_and_the_sign_in_button(
    client: Client, platform: Platform
) -> None:
    resp = client.get("/account/")
    assert resp.status_code == 401
    assert "Go to my wallet" in resp.content.decode()


def test_one_idle_hour_ends_the_session(client: Client, user: User, platform: Platform) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user, platform)
        traveller.shift(dt.timedelta(minutes=59))
        assert client.get("/account/").status_code == 200
        traveller.shift(dt.timedelta(minutes=59))
        assert client.get("/account/").status_code == 200
        traveller.shift(dt.timedelta(hours=1))
        resp = client.get("/account/")
    assert resp.status_code == 401
    assert "You were signed out after an hour without activity." in resp.content.decode()


def test_24_hours_end_the_session_even_when_active(
    client: Client, user: User, platform: Platform
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user, platform)
        for _ in range(47):
            traveller.shift(dt.timedelta(minutes=30))
            assert client.get("/account/").status_code == 200
        traveller.shift(dt.timedelta(minutes=30))
        resp = client.get("/account/")
    assert resp.status_code == 401
    assert "You were signed out: a session lasts at most 24 hours." in resp.content.decode()


def test_an_expired_session_is_deleted_on_the_server(
    client: Client, user: User, platform: Platform
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user, platform)
        old_key = client.session.session_key
        traveller.shift(dt.timedelta(hours=2))
        client.get("/account/")
    assert not Session.objects.filter(session_key=old_key).exists()


def test_logout_ends_the_session_on_the_server(
    client: Client, user: User, platform: Platform
) -> None:
    sign_in(client, user, platform)
    old_key = client.session.session_key
    assert client.post("/logout/").status_code == 302
    assert not Session.objects.filter(session_key=old_key).exists()
    replay = Client()
    replay.cookies["zhifu_wallet_session"] = old_key
    assert replay.get("/account/").status_code == 401


def test_logout_by_get_is_refused(client: Client, user: User, platform: Platform) -> None:
    sign_in(client, user, platform)
    assert client.get("/logout/").status_code == 405
    assert client.get("/account/").status_code == 200


def test_logout_without_csrf_token_is_refused(user: User, platform: Platform) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, user, platform)
    assert client.post("/logout/").status_code == 403


def test_changing_the_pin_without_csrf_token_is_refused(user: User, platform: Platform) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, user, platform)
    resp = client.post(
        "/account/payment-password/",
        {"current_pin": "583920", "pin": "480913", "pin_repeat": "480913"},
    )
    assert resp.status_code == 403


def test_a_session_not_started_by_the_wallet_login_is_refused(client: Client, user: User) -> None:
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/account/").status_code == 401


def test_session_cookie_flags(client: Client, platform: Platform) -> None:
    client.post("/oidc/login/", {"platform": "shop"})
    from django.conf import settings

    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.SESSION_COOKIE_AGE == 24 * 3600
