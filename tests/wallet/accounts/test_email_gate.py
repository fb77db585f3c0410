"""The e-mail confirmation gate and its link."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from django.test import Client, override_settings

from tests.wallet.accounts.support import new_buyer, sign_in
from zhifu.accounts.models import EmailConfirmation, Identity, Platform, User
from zhifu.config.site import config
from zhifu.kernel import clock

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def buyer(platform: Platform) -> User:
    user = new_buyer()
    Identity.objects.create(platform=platform, subject="s1", user=user, email="shop@example.com")
    return user


@pytest.fixture
def signed(client: Client, buyer: User, platform: Platform) -> Client:
    sign_in(client, buyer, platform)
    return client


def _link() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"https?://\S+/confirm-email/([\w-]+)/", body)
    assert match, body
    return f"/confirm-email/{match.group(1)}/"


def test_every_other_page_redirects_to_the_gate_until_confirmed(signed: Client) -> None:
    for path in ("/account/", "/account/payment-password/", "/registered/", "/"):
        resp = signed.get(path)
        assert resp.status_code == 302
        assert resp["Location"] in ("/confirm-email/", "/account/")
    assert signed.get("/account/")["Location"] == "/confirm-email/"


def test_gate_prefills_the_shops_address(signed: Client) -> None:
    html = signed.get("/confirm-email/").content.decode()
    assert 'value="shop@example.com"' in html
    assert "Send confirmation e-mail" in html


def test_viewing_the_gate_sends_nothing(signed: Client) -> None:
    signed.get("/confirm-email/")
    assert mail.outbox == []


def test_sending_shows_the_notice_mailbox_link_and_send_again(signed: Client) -> None:
    with time_machine.travel(START, tick=False):
        sign_in(signed, User.objects.get(), Platform.objects.get())
        resp = signed.post("/confirm-email/", {"email": "edited@example.com"}, follow=True)
    html = resp.content.decode()
    assert "We sent a confirmation e-mail to edited@example.com." in html
    assert 'href="http://localhost:8000/_dev/mail/"' in html
    assert "Open my mailbox" in html
    assert "Send again" in html
    assert mail.outbox[-1].to == ["edited@example.com"]


def test_send_again_waits_out_the_cooldown_and_the_mailbox_is_the_next_step(
    signed: Client,
) -> None:
    """The page tells resend.js how long the server's cooldown still runs: the button is
    disabled until then; «Перейти к почте» is the primary action."""
    with time_machine.travel(START, tick=False):
        sign_in(signed, User.objects.get(), Platform.objects.get())
        signed.post("/confirm-email/", {"email": "edited@example.com"})
    with time_machine.travel(START + dt.timedelta(seconds=18), tick=False):
        html = signed.get("/confirm-email/", headers={"Accept-Language": "ru"}).content.decode()
    button = re.search(r"<button[^>]*data-wait[^>]*>", html)
    assert button is not None
    assert 'data-wait="42"' in button.group(0)
    assert " disabled" in button.group(0)
    assert 'data-countdown="Отправить ещё раз ({time})"' in button.group(0)
    assert 'class="secondary outline"' in button.group(0)
    assert re.search(r'<a href="[^"]*/_dev/mail/" role="button" class="next-step">', html)
    with time_machine.travel(START + dt.timedelta(seconds=61), tick=False):
        html = signed.get("/confirm-email/").content.decode()
    button = re.search(r"<button[^>]*data-wait[^>]*>", html)
    assert button is not None
    assert 'data-wait="0"' in button.group(0)
    assert " disabled" not in button.group(0)


def test_the_email_is_in_the_buyers_language(signed: Client, buyer: User) -> None:
    buyer.locale = "ru"
    buyer.save()
    signed.post("/confirm-email/", {"email": "a@example.com"})
    assert mail.outbox[-1].subject == "Подтвердите адрес электронной почты для кошелька zhifu"
    assert mail.outbox[-1].extra_headers["Content-Language"] == "ru"


def test_invalid_address_is_refused_beside_the_field(signed: Client) -> None:
    resp = signed.post("/confirm-email/", {"email": "not-an-address"})
    assert resp.status_code == 400
    assert "Enter a valid e-mail address, like name@example.com." in resp.content.decode()
    assert 'value="not-an-address"' in resp.content.decode()


def test_send_again_within_60_seconds_is_refused(signed: Client) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(signed, User.objects.get(), Platform.objects.get())
        signed.post("/confirm-email/", {"email": "a@example.com"})
        traveller.shift(20)
        resp = signed.post("/confirm-email/", {"email": "a@example.com"})
        assert resp.status_code == 429
        assert "Please wait 40 seconds before sending the e-mail again." in resp.content.decode()
        traveller.shift(41)
        assert signed.post("/confirm-email/", {"email": "a@example.com"}).status_code == 302
    assert len(mail.outbox) == 2


def test_at_most_five_sends_an_hour(signed: Client) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(5):
            sign_in(signed, User.objects.get(), Platform.objects.get())
            assert signed.post("/confirm-email/", {"email": "a@example.com"}).status_code == 302
            traveller.shift(61)
        sign_in(signed, User.objects.get(), Platform.objects.get())
        resp = signed.post("/confirm-email/", {"email": "a@example.com"})
    assert resp.status_code == 429
    assert (
        "You have sent 5 confirmation e-mails in the last hour, the most we allow. "
        "Please try again in 55 minutes." in resp.content.decode()
    )
    assert len(mail.outbox) == 5


def test_the_limits_are_stated_on_the_page(signed: Client) -> None:
    assert (
        "You can send the e-mail again after 60 seconds, at most 5 times an hour."
        in signed.get("/confirm-email/").content.decode()
    )


def test_only_a_hash_of_the_link_is_stored(signed: Client) -> None:
    signed.post("/confirm-email/", {"email": "a@example.com"})
    token = _link().split("/")[2]
    row = EmailConfirmation.objects.get()
    assert token not in row.token_hash
    assert len(token) >= 43  # 256 bits


def test_the_link_opens_the_registration_form(signed: Client) -> None:
    signed.post("/confirm-email/", {"email": "a@example.com"})
    resp = signed.get(_link())
    assert resp.status_code == 200
    assert "Complete registration" in resp.content.decode()


def test_an_expired_link_is_refused(signed: Client, buyer: User, platform: Platform) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(signed, buyer, platform)
        signed.post("/confirm-email/", {"email": "a@example.com"})
        traveller.shift(dt.timedelta(hours=24, seconds=1))
        sign_in(signed, buyer, platform)
        resp = signed.get(_link())
    assert resp.status_code == 410
    assert (
        "This link has expired: links work for 24 hours. Send a new confirmation e-mail."
        in resp.content.decode()
    )


def test_a_used_link_is_refused(signed: Client) -> None:
    from tests.wallet.credentials.test_registration import VALID

    signed.post("/confirm-email/", {"email": "a@example.com"})
    link = _link()
    assert signed.post(link, VALID).status_code == 302
    resp = signed.get(link)
    assert resp.status_code == 410
    assert "This link has already been used. Each link works only once." in resp.content.decode()


def test_another_accounts_link_is_refused(signed: Client, platform: Platform) -> None:
    signed.post("/confirm-email/", {"email": "a@example.com"})
    link = _link()
    other = Client()
    sign_in(other, new_buyer(), platform)
    resp = other.get(link)
    assert resp.status_code == 403
    assert "This link belongs to another wallet account." in resp.content.decode()


def test_an_unknown_link_is_refused(signed: Client) -> None:
    resp = signed.get("/confirm-email/" + "A" * 43 + "/")
    assert resp.status_code == 404
    assert "This link is not valid. Send a new confirmation e-mail." in resp.content.decode()


def test_the_link_needs_a_signed_in_session(signed: Client) -> None:
    signed.post("/confirm-email/", {"email": "a@example.com"})
    resp = Client().get(_link())
    assert resp.status_code == 401
    assert "Go to my wallet" in resp.content.decode()


def test_sending_without_csrf_token_is_refused(buyer: User, platform: Platform) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, buyer, platform)
    assert client.post("/confirm-email/", {"email": "a@example.com"}).status_code == 403
    assert mail.outbox == []


def test_clock_is_the_kernel_clock() -> None:
    with time_machine.travel(START, tick=False):
        assert clock.now() == START


@override_settings(EMAIL_BACKEND="zhifu.web.mail.EmlFileBackend")
def test_an_unconfirmed_buyer_reads_the_demo_mailbox_with_its_html(signed: Client) -> None:
    """The gate lets the mailbox through, the frame of an e-mail's HTML part too."""
    signed.post("/confirm-email/", {"email": "gate@example.com"})
    newest = sorted(Path(config().mail_dir).glob("*.eml"))[-1].name
    for url in ("/_dev/mail/", f"/_dev/mail/{newest}", f"/_dev/mail/{newest}/html"):
        assert signed.get(url).status_code == 200, url
