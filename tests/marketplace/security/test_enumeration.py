"""Hardening finding: enumeration and anti-automation at the shop (SEC-16, SEC-17).

Sign-up said "an account with this e-mail already exists", 8 reset requests sent 8
e-mails, and one client created 10 accounts in 2 s. Now sign-up and reset answer the same
bytes for every address, resets and sign-ups are limited per account and per client
address, and an account hammered from several addresses asks for the challenge instead of
locking the buyer out."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from tests.marketplace.conftest import PASSWORD, finish_sign_up, signup_link
from zhifu.kernel import clock
from zhifu.kernel.client_ip import parse_networks
from zhifu.marketplace import domain
from zhifu.marketplace.models import Buyer, PendingSignup

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
WORDS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


@pytest.fixture(autouse=True)
def behind_the_proxy(settings: Any) -> None:
    settings.ZHIFU_TRUSTED_PROXIES = parse_networks(["10.0.0.0/24"])


def via(client_address: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_address)


def answer(html: str) -> dict[str, str]:
    """Solve the challenge on a page, as a person reading it would."""
    question = re.search(r"How much is (\w+) plus (\w+)\?", html)
    token = re.search(r'name="challenge" value="([^"]+)"', html)
    assert question, "no challenge on the page"
    assert token
    total = WORDS.index(question.group(1)) + WORDS.index(question.group(2)) + 2
    return {"challenge": token.group(1), "challenge_answer": str(total)}


def the_same(a: HttpResponse, b: HttpResponse) -> None:
    assert a.status_code == b.status_code
    assert a.get("Location") == b.get("Location")
    assert a.content == b.content
    assert sorted(a.cookies) == sorted(b.cookies)


def sign_up(client: Client, email: str, **extra: str) -> HttpResponse:
    data = {"name": "Ivan", "email": email, "password": "amber-violin-delta-7", "locale": "en"}
    response: HttpResponse = client.post("/signup/", {**data, **extra})
    return response


def test_enumeration_sign_up_answers_the_same_bytes_for_a_known_and_an_unknown_address(
    buyer: Buyer,
) -> None:
    known = sign_up(via("198.51.100.1"), "OLGA@example.org")
    unknown = sign_up(via("198.51.100.2"), "nobody@example.org")
    the_same(known, unknown)
    assert known["Location"] == "/signup/sent/"
    # The owner hears of the attempt; the new address gets its link; no account yet.
    to_owner, to_new = mail.outbox
    assert to_owner.to == ["olga@example.org"]
    assert "/signup/confirm/" not in to_owner.body
    assert "/password-reset/" in to_owner.body
    assert to_new.to == ["nobody@example.org"]
    assert not Buyer.objects.filter(email="nobody@example.org").exists()
    assert PendingSignup.objects.filter(email="olga@example.org").count() == 0


def test_enumeration_sign_up_link_creates_the_account_once_within_a_day(client: Client) -> None:
    sign_up(client, "ivan@example.org")
    with time_machine.travel(clock.now() + domain.SIGNUP_LINK_LIFETIME + dt.timedelta(1)):
        assert client.get(signup_link("ivan@example.org")).status_code == 410
        assert client.post(signup_link("ivan@example.org")).status_code == 410
    assert finish_sign_up(client, "ivan@example.org")["Location"] == "/"
    assert Buyer.objects.get(email="ivan@example.org").check_password("amber-violin-delta-7")
    client.post("/logout/")
    assert client.post(signup_link("ivan@example.org")).status_code == 410  # single use
    row = PendingSignup.objects.get()
    assert "amber" not in row.password  # hashes only
    assert len(row.token_hash) == 64


def reset(client: Client, email: str) -> HttpResponse:
    response: HttpResponse = client.post("/password-reset/", {"email": email})
    return response


def test_enumeration_password_reset_answers_the_same_bytes_for_known_and_unknown(
    buyer: Buyer,
) -> None:
    the_same(reset(via("198.51.100.1"), "olga@example.org"), reset(via("198.51.100.2"), "x@y.org"))
    assert [m.to for m in mail.outbox] == [["olga@example.org"]]


def test_enumeration_the_sixth_reset_in_an_hour_sends_no_email_and_shows_the_same_page(
    buyer: Buyer,
) -> None:
    responses = [reset(via(f"198.51.100.{n}"), "olga@example.org") for n in range(8)]
    assert len(mail.outbox) == 5  # per account, from any address
    for response in responses[1:]:
        the_same(responses[0], response)
    assert via("198.51.100.9").get(responses[-1]["Location"]).status_code == 200
    with time_machine.travel(clock.now() + dt.timedelta(hours=1, seconds=1)):
        reset(via("198.51.100.9"), "olga@example.org")
    assert len(mail.outbox) == 6  # an hour later the buyer can reset again


def test_enumeration_resets_from_one_address_are_limited_across_accounts(buyer: Buyer) -> None:
    Buyer.objects.create_user("anna@example.org", PASSWORD)
    attacker = via("198.51.100.66")
    for n in range(5):
        reset(attacker, f"someone{n}@example.org")
    reset(attacker, "olga@example.org")
    reset(attacker, "anna@example.org")
    assert mail.outbox == []  # the address used up its five
    reset(via("203.0.113.10"), "olga@example.org")
    assert [m.to for m in mail.outbox] == [["olga@example.org"]]


def test_enumeration_sign_ups_from_one_address_meet_a_challenge_then_a_limit() -> None:
    bot = via("198.51.100.66")
    for n in range(domain.SIGNUP_FREE_PER_ADDRESS.count):
        assert sign_up(bot, f"bot{n}@example.org").status_code == 302
    page = bot.get("/signup/").content.decode()
    assert "A quick check that you are a person" in page
    unanswered = sign_up(bot, "bot-x@example.org")
    assert unanswered.status_code == 200
    assert "How much is" in unanswered.content.decode()
    token = answer(page)["challenge"]
    wrong = sign_up(bot, "bot-x@example.org", challenge=token, challenge_answer="99")
    assert "The answer was not right" in wrong.content.decode()
    reused = sign_up(bot, "bot-x@example.org", **answer(page))  # single use
    assert reused.status_code == 200
    assert len(mail.outbox) == domain.SIGNUP_FREE_PER_ADDRESS.count
    for n in range(domain.SIGNUP_FREE_PER_ADDRESS.count, domain.SIGNUP_PER_ADDRESS.count):
        html = bot.get("/signup/").content.decode()
        assert sign_up(bot, f"bot{n}@example.org", **answer(html)).status_code == 302
    assert "Too many sign-ups from your network" in bot.get("/signup/").content.decode()
    refused = sign_up(bot, "bot-last@example.org")
    assert refused.status_code == 429
    assert "Too many sign-ups from your network" in refused.content.decode()
    assert len(mail.outbox) == domain.SIGNUP_PER_ADDRESS.count
    assert sign_up(via("203.0.113.10"), "person@example.org").status_code == 302  # others free


def test_enumeration_sign_up_challenge_reads_naturally_in_russian() -> None:
    bot = via("198.51.100.66")
    for n in range(domain.SIGNUP_FREE_PER_ADDRESS.count):
        sign_up(bot, f"bot{n}@example.org")
    bot.cookies["zhifu_marketplace_lang"] = "ru"
    html = bot.get("/signup/").content.decode()
    assert re.search(r"Сколько будет \w+ плюс \w+\? Ответьте цифрами\.", html)


def log_in(client: Client, password: str, **extra: str) -> HttpResponse:
    data = {"username": "olga@example.org", "password": password, **extra}
    response: HttpResponse = client.post("/login/", data)
    return response


def test_enumeration_a_hammered_account_asks_the_challenge_and_still_lets_the_buyer_in(
    buyer: Buyer,
) -> None:
    for attacker in ("198.51.100.66", "198.51.100.67"):
        for _ in range(5):
            log_in(via(attacker), "wrong-guess")
    # From a third address even the right password needs the answer first; it is not tried.
    real = via("203.0.113.10")
    first = log_in(real, PASSWORD)
    assert first.status_code == 200
    assert "many failed logins lately" in first.content.decode()
    assert "_auth_user_id" not in real.session
    wrong_answer = log_in(real, PASSWORD, challenge=answer(first.content.decode())["challenge"],
                          challenge_answer="99")  # fmt: skip
    assert wrong_answer.status_code == 200
    wrong_password = log_in(real, "still-wrong", **answer(wrong_answer.content.decode()))
    assert wrong_password.status_code == 200
    assert "The e-mail or password is incorrect." in wrong_password.content.decode()
    # Never a lock: the right password with the answer gets in.
    response = log_in(real, PASSWORD, **answer(wrong_password.content.decode()))
    assert response.status_code == 302
    assert real.session["_auth_user_id"] == str(buyer.pk)


def test_enumeration_the_challenge_does_not_tell_a_known_account_from_an_unknown(
    buyer: Buyer,
) -> None:
    for email in ("olga@example.org", "nobody@example.org"):
        for attacker in ("198.51.100.66", "198.51.100.67"):
            for _ in range(5):
                via(attacker).post("/login/", {"username": email, "password": "wrong"})
    known = via("203.0.113.10").post("/login/", {"username": "olga@example.org", "password": "x"})
    unknown = via("203.0.113.10").post(
        "/login/", {"username": "nobody@example.org", "password": "x"}
    )
    assert known.status_code == unknown.status_code == 200
    for response in (known, unknown):
        assert "many failed logins lately" in response.content.decode()
