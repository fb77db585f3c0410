"""Each rule's numbers come from the domain: the pages interpolate them, with the plural
form the language needs, so changing a rule never leaves a sentence wrong."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import time_machine
from django.test import Client

from tests.wallet.accounts.support import new_buyer, registered_buyer, sign_in
from zhifu.accounts import domain
from zhifu.accounts.models import Platform
from zhifu.credentials import domain as credentials_domain

pytestmark = pytest.mark.django_db

RU = {"Accept-Language": "ru"}
START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def gate(client: Client, platform: Platform) -> Client:
    sign_in(client, new_buyer(), platform)
    return client


def test_the_gate_states_its_limits_in_natural_russian(gate: Client) -> None:
    html = gate.get("/confirm-email/", headers=RU).content.decode()
    assert "Письмо можно отправить ещё раз через 60 секунд, но не больше 5 раз в час." in html
    assert "Ссылка срабатывает один раз и действует 24 часа." in html


def test_the_gate_follows_the_domain_when_a_rule_changes(
    gate: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain, "RESEND_COOLDOWN", dt.timedelta(seconds=1))
    monkeypatch.setattr(domain, "RESENDS_PER_HOUR", 2)
    monkeypatch.setattr(domain, "LINK_LIFETIME", dt.timedelta(hours=1))
    html = gate.get("/confirm-email/").content.decode()
    assert "You can send the e-mail again after 1 second, at most 2 times an hour." in html
    assert "The link works once and for 1 hour." in html
    html = gate.get("/confirm-email/", headers=RU).content.decode()
    assert "через 1 секунду, но не больше 2 раз в час." in html
    assert "действует 1 час." in html


def test_the_hourly_limit_in_russian_agrees_with_its_numbers(
    gate: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(domain, "RESENDS_PER_HOUR", 2)
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(2):
            gate.post("/confirm-email/", {"email": "a@example.com"})
            traveller.shift(61)
        resp = gate.post("/confirm-email/", {"email": "a@example.com"}, headers=RU)
    assert resp.status_code == 429
    assert (
        "За последний час вы отправили 2 письма для подтверждения — это максимум. "  # noqa: RUF001
        "Попробуйте снова через 58 минут." in resp.content.decode()
    )


def test_the_session_notices_follow_the_domain(
    client: Client, platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = registered_buyer()
    monkeypatch.setattr(domain, "IDLE_TIMEOUT", dt.timedelta(hours=2))
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user, platform)
        traveller.shift(dt.timedelta(hours=2))
        html = client.get("/account/", headers=RU).content.decode()
    assert "Вы вышли из кошелька: прошло 2 часа без действий." in html


def test_the_account_page_says_after_how_many_attempts_the_lock_came(
    client: Client, platform: Platform
) -> None:
    from zhifu.credentials import services as credentials

    user = registered_buyer()
    sign_in(client, user, platform)
    for _ in range(credentials_domain.MAX_FAILURES):
        with contextlib.suppress(credentials.CredentialsRefusal):
            credentials.step_up(user, "000001", "pin.change")
    html = client.get("/account/").content.decode()
    assert "(UTC) after 5 wrong attempts." in html
    html = client.get("/account/", headers=RU).content.decode()
    assert "(UTC) после 5 неверных попыток." in html


def test_the_pin_length_is_read_from_the_domain(client: Client) -> None:
    from django.utils import translation

    from zhifu.credentials.errors import PIN_MESSAGES

    with translation.override("en"):
        assert str(PIN_MESSAGES["format"]) == (
            f"The payment password must be exactly {credentials_domain.PIN_LENGTH} digits."
        )
    with translation.override("ru"):
        assert str(PIN_MESSAGES["format"]) == "Платёжный пароль должен состоять ровно из 6 цифр."
