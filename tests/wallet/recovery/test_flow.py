# ruff: noqa: RUF001 - Russian text is what the buyer sees
"""Payment-password recovery end to end through the pages (issue 13; SEC-15, 19, 20)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests.wallet.recovery.support import (
    ANSWERS,
    FREEZE,
    GOOD_PIN,
    LINK,
    NEW_PIN,
    answer,
    ask,
    buyer_client,
    deliver,
    links,
    lock_pin,
    new_pin,
    recover_until_answers,
    sign_in,
    time_travel,
)
from zhifu.accounts.models import Platform
from zhifu.credentials import services as credentials
from zhifu.credentials.errors import WrongPaymentPassword
from zhifu.kernel import clock
from zhifu.recovery.models import RecoveryRequest
from zhifu.security import services as security
from zhifu.security.domain import EventKind
from zhifu.security.models import SecurityEvent

pytestmark = pytest.mark.django_db


def kinds(user_id: int) -> list[str]:
    return list(
        SecurityEvent.objects.filter(user_id=str(user_id))
        .order_by("id")
        .values_list("kind", flat=True)
    )


def test_the_whole_path_from_a_locked_pin_to_a_new_one(platform: Platform) -> None:
    user, client = buyer_client(platform)
    other = Client()
    sign_in(other, user, platform)  # the buyer's other session (another device)
    lock_pin(user)
    page = client.get("/account/").content.decode()
    assert 'href="/recovery/"' in page  # linked from the lock message

    start = client.get("/recovery/")
    assert start.status_code == 200
    assert "no-store" in start["Cache-Control"]
    assert 'src="/captcha/image/' in start.content.decode()

    questions = recover_until_answers(client, user.email or "")
    assert questions == "/recovery/questions/"  # the token has left the address bar
    locked, message = mail.outbox  # the lock's notice went out with the worker's turn
    assert locked.subject == "Your payment password is locked"
    assert links(FREEZE, to=user.email)
    assert LINK.search(message.body)
    assert message.to == [user.email]
    assert "http://testserver" not in message.body  # the configured base URL, not the Host
    page = client.get(questions)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"  # tokenless; its form needs an Origin
    assert "What was the name of your first pet?" in page.content.decode()

    assert answer(client)["Location"] == "/recovery/new-password/"
    done = new_pin(client)
    assert done.status_code == 302, done.content.decode()
    assert done["Location"] == "/recovery/done/"
    assert client.get("/recovery/done/").status_code == 200

    assert credentials.lock_state(user) is None
    assert credentials.attempts_left(user) == 5
    credentials.step_up(user, NEW_PIN, "pin.change")  # the new one works
    with pytest.raises(WrongPaymentPassword):
        credentials.step_up(user, GOOD_PIN, "pin.change")

    assert client.get("/account/").status_code == 200  # this session goes on
    assert other.get("/account/").status_code == 401  # the other one has ended
    assert security.restrictions(user).in_cool_off(clock.now())

    notice = mail.outbox[-1]
    assert notice.to == [user.email]
    assert "This wasn't me" in notice.body
    assert links(FREEZE, to=user.email)
    logged = kinds(user.pk)
    for kind in (
        EventKind.PIN_WRONG,
        EventKind.PIN_LOCKED,
        EventKind.RECOVERY_REQUESTED,
        EventKind.RECOVERY_LINK_OPENED,
        EventKind.RECOVERY_ANSWERS_OK,
        EventKind.RECOVERY_COMPLETED,
    ):
        assert kind in logged
    log_page = client.get("/recovery/log/").content.decode()
    assert "Payment password recovered" in log_page
    assert "Recovery link sent" in log_page


def test_the_pages_are_in_russian_too(platform: Platform) -> None:
    user, client = buyer_client(platform)
    client.cookies["zhifu_wallet_lang"] = "ru"
    page = client.get("/recovery/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Забыли платёжный пароль?" in page
    assert "Введите символы с картинки" in page
    recover_until_answers(client, user.email or "")
    page = client.get("/recovery/questions/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Ответьте на секретные вопросы" in page


def test_an_unknown_address_gets_the_same_redirect_and_no_mail(platform: Platform) -> None:
    _, client = buyer_client(platform)
    known = ask(client, "reg@example.com")
    unknown = ask(client, "nobody@example.com")
    assert (known.status_code, known["Location"], known.content) == (
        unknown.status_code,
        unknown["Location"],
        unknown.content,
    )
    mail.outbox.clear()
    deliver()
    assert [m.to for m in mail.outbox] == [["reg@example.com"]]


def test_a_wrong_or_reused_captcha_sends_nothing(client: Client, platform: Platform) -> None:
    buyer_client(platform)
    resp = client.post(
        "/recovery/", {"email": "reg@example.com", "captcha_0": "x", "captcha_1": "y"}
    )
    assert resp.status_code == 400
    from tests.wallet.recovery.support import captcha

    solved = captcha()
    assert client.post("/recovery/", {"email": "reg@example.com", **solved}).status_code == 302
    assert client.post("/recovery/", {"email": "reg@example.com", **solved}).status_code == 400
    assert RecoveryRequest.objects.count() == 1


def test_the_captcha_refreshes(client: Client, db: None) -> None:
    fragment = client.get("/recovery/captcha/")
    assert fragment.status_code == 200
    assert 'id="captcha-box"' in fragment.content.decode()
    image = client.get(fragment.content.decode().split('src="')[1].split('"')[0])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"


def test_a_link_is_single_use_and_expires(platform: Platform) -> None:
    user, client = buyer_client(platform)
    recover_until_answers(client, user.email or "")
    (path,) = links()
    answer(client)
    assert new_pin(client).status_code == 302
    assert client.get(path).status_code == 302
    gone = client.get("/recovery/questions/")
    assert gone.status_code == 410
    assert "no longer valid" in gone.content.decode()

    recover_until_answers(client, user.email or "")
    with time_travel(31):
        assert client.get("/recovery/questions/").status_code == 410


def test_a_new_request_supersedes_the_older_link(platform: Platform) -> None:
    user, client = buyer_client(platform)
    ask(client, user.email or "")
    deliver()
    ask(client, user.email or "")
    deliver()
    first, second = links()
    client.get(first)
    assert client.get("/recovery/questions/").status_code == 410
    client.get(second)
    assert client.get("/recovery/questions/").status_code == 200


def test_another_buyers_session_cannot_use_the_link(platform: Platform) -> None:
    _, owner_client = buyer_client(platform, "owner@example.com")
    _, thief = buyer_client(platform, "thief@example.com")
    ask(owner_client, "owner@example.com")
    deliver()
    (path,) = links()
    thief.get(path)
    refused = thief.get("/recovery/questions/")
    assert refused.status_code == 403
    assert answer(thief).status_code == 403
    # A visitor without a session is sent to sign in first, and gets nothing else.
    anonymous = Client()
    anonymous.get(path)
    assert anonymous.get("/recovery/questions/").status_code == 302
    owner_client.get(path)
    assert owner_client.get("/recovery/questions/").status_code == 200


def test_steps_cannot_be_skipped(platform: Platform) -> None:
    user, client = buyer_client(platform)
    assert client.get("/recovery/questions/").status_code == 403
    assert client.get("/recovery/new-password/").status_code == 403
    assert new_pin(client).status_code == 403
    recover_until_answers(client, user.email or "")
    assert client.get("/recovery/new-password/").status_code == 403
    assert new_pin(client).status_code == 403
    assert client.get("/recovery/link/not-a-real-token-at-all-xyz/").status_code == 302
    assert client.get("/recovery/questions/").status_code == 410
    credentials.step_up(user, GOOD_PIN, "pin.change")  # unchanged


def test_wrong_answers_revoke_the_link_and_then_lock_self_service(platform: Platform) -> None:
    user, client = buyer_client(platform)
    recover_until_answers(client, user.email or "")
    wrong = ["x", "y", "z"]
    for left in (4, 3, 2, 1):
        resp = answer(client, wrong)
        assert resp.status_code == 400
        assert f"{left} attempt" in resp.content.decode()
    assert answer(client, wrong).status_code == 410  # the 5th revokes the link
    assert answer(client, ANSWERS).status_code == 410  # even with the right answers

    recover_until_answers(client, user.email or "")
    for _ in range(4):
        assert answer(client, wrong).status_code == 400
    locked = answer(client, wrong)  # the 10th in 24 hours
    assert locked.status_code == 423
    assert "identity document" in locked.content.decode()
    recover_until_answers(client, user.email or "")
    assert client.get("/recovery/questions/").status_code == 423
    assert EventKind.RECOVERY_LOCKED in kinds(user.pk)


def test_the_new_pin_follows_the_registrations_rules_and_differs(platform: Platform) -> None:
    user, client = buyer_client(platform)
    recover_until_answers(client, user.email or "")
    answer(client)
    assert new_pin(client, "123456").status_code == 400
    assert new_pin(client, NEW_PIN, "284062").status_code == 400
    same = new_pin(client, GOOD_PIN)
    assert same.status_code == 400
    assert "different from your previous" in same.content.decode()
    assert new_pin(client).status_code == 302


def test_this_wasnt_me_freezes_the_wallet_without_signing_in(platform: Platform) -> None:
    user, client = buyer_client(platform)
    recover_until_answers(client, user.email or "")
    answer(client)
    new_pin(client)
    (path,) = links(FREEZE)
    stranger = Client()  # the real owner, on a device with no wallet session
    resp = stranger.get(path)
    assert (resp.status_code, resp["Location"]) == (302, "/recovery/freeze/")
    assert resp["Referrer-Policy"] == "no-referrer"
    assert stranger.get("/recovery/freeze/").status_code == 200
    frozen = stranger.post("/recovery/freeze/")
    assert frozen.status_code == 200
    assert "support" in frozen.content.decode()
    assert security.restrictions(user).frozen
    assert client.get("/account/").status_code == 401  # every session ended
    again = Client()
    again.get(path)
    assert again.get("/recovery/freeze/").status_code == 410  # single use

    from zhifu.kernel.money import Money
    from zhifu.security.errors import WalletFrozen

    with pytest.raises(WalletFrozen):
        security.check_card_change(user, adding=True)
    with pytest.raises(WalletFrozen):
        security.check_payment(user, Money(1, "EUR"))


def test_a_freeze_link_expires_after_seven_days(platform: Platform) -> None:
    user, client = buyer_client(platform)
    recover_until_answers(client, user.email or "")
    answer(client)
    new_pin(client)
    (path,) = links(FREEZE)
    with time_travel(7 * 24 * 60 + 1):
        late = Client()
        late.get(path)
        assert late.get("/recovery/freeze/").status_code == 410


def test_recovery_lifts_a_freeze_only_after_a_day(platform: Platform) -> None:
    user, client = buyer_client(platform)
    security.freeze(user)
    sign_in(client, user, platform)
    recover_until_answers(client, user.email or "")
    assert client.get("/recovery/questions/").status_code == 423
    with time_travel(24 * 60 + 1):
        sign_in(client, user, platform)
        recover_until_answers(client, user.email or "")
        answer(client)
        assert new_pin(client).status_code == 302
        assert not security.restrictions(user).frozen


def test_the_security_log_freezes_on_demand(platform: Platform) -> None:
    user, client = buyer_client(platform)
    resp = client.post("/recovery/log/freeze/")
    assert resp.status_code == 200
    assert security.restrictions(user).frozen
    assert client.get("/account/").status_code == 401


def test_the_security_settings_and_the_lock_message_link_the_recovery(
    platform: Platform,
) -> None:
    user, client = buyer_client(platform)
    for path in ("/account/payment-password/", "/account/security-questions/"):
        assert 'href="/recovery/"' in client.get(path).content.decode(), path
    lock_pin(user)
    page = client.get("/account/payment-password/").content.decode()
    assert page.count('href="/recovery/"') == 2  # the lock message's link too


def test_a_captcha_expires_after_five_minutes_and_offers_a_way_without_it(
    client: Client, platform: Platform
) -> None:
    from tests.wallet.recovery.support import captcha

    buyer_client(platform)
    page = client.get("/recovery/").content.decode()
    assert 'href="/recovery/support/"' in page  # for those who cannot read the picture
    solved = captcha()
    with time_travel(6):
        resp = client.post("/recovery/", {"email": "reg@example.com", **solved})
    assert resp.status_code == 400
    mail.outbox.clear()
    deliver()
    assert mail.outbox == []
