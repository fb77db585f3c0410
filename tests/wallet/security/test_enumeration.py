"""Hardening finding: the e-mail gate said "already confirmed for another wallet account",
telling anyone signed in which addresses have a wallet (SEC-16). Now a taken address gets
the answer a free one gets, and its owner an e-mail instead of a link."""

from __future__ import annotations

import pytest
from django.core import mail
from django.http import HttpResponse
from django.test import Client

from tests.wallet.accounts.support import new_buyer, sign_in
from zhifu.accounts.models import Identity, Platform, User
from zhifu.notifications import services as notifications
from zhifu.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def signed_in_buyer(platform: Platform, subject: str) -> Client:
    user = new_buyer()
    Identity.objects.create(platform=platform, subject=subject, user=user, email="x@example.com")
    client = Client()
    sign_in(client, user, platform)
    return client


def send(client: Client, email: str) -> tuple[HttpResponse, str]:
    response: HttpResponse = client.post("/confirm-email/", {"email": email})
    page = client.get("/confirm-email/").content.decode()
    # The page names the address typed and carries its own CSRF token: set both aside.
    page = page.replace(email, "ADDRESS")
    return response, page.split('name="csrfmiddlewaretoken"')[0]


def test_enumeration_a_taken_address_gets_the_answer_a_free_one_gets(platform: Platform) -> None:
    owner = new_buyer("taken@example.com", locale="ru")
    taken, taken_page = send(signed_in_buyer(platform, "s1"), "taken@example.com")
    free, free_page = send(signed_in_buyer(platform, "s2"), "free@example.com")
    assert taken.status_code == free.status_code == 302
    assert taken["Location"] == free["Location"]
    assert taken.content == free.content
    assert taken_page == free_page
    # Only the free address got a link; the owner of the taken one hears of the attempt.
    assert [m.to for m in mail.outbox] == [["free@example.com"]]
    (note,) = OutboxMessage.objects.filter(payload__template="email_taken")
    assert note.payload["to"] == owner.email
    assert note.payload["language"] == "ru"
    assert User.objects.get(pk=owner.pk).email == "taken@example.com"


def test_enumeration_the_owner_is_told_in_their_language() -> None:
    subject, body = notifications.render("email_taken", "ru", {})
    assert subject == "Кто-то пытался привязать ваш адрес к кошельку zhifu"
    assert "ссылка никому не отправлялась" in body
