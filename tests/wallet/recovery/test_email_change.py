"""E-mail change (SEC-19, SEC-21): behind the payment password, confirmed from the new
address in the buyer's session, and the old address told."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from tests.wallet.recovery.support import GOOD_PIN, buyer_client, deliver
from zhifu.accounts.models import Platform, User
from zhifu.security.domain import EventKind
from zhifu.security.models import SecurityEvent

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^/\s]+(/account/email/[\w-]+/)")


def test_a_change_needs_the_payment_password(platform: Platform) -> None:
    _, client = buyer_client(platform, "old@example.com")
    assert client.post("/account/email/", {"email": "new@example.com"}).status_code == 403
    wrong = client.post("/account/email/", {"email": "new@example.com", "pin": "000001"})
    assert wrong.status_code == 403
    assert not mail.outbox


def test_the_new_address_confirms_and_the_old_one_is_told(platform: Platform) -> None:
    user, client = buyer_client(platform, "old@example.com")
    resp = client.post("/account/email/", {"email": "new@example.com", "pin": GOOD_PIN})
    assert resp.status_code == 200
    (link_mail,) = mail.outbox
    assert link_mail.to == ["new@example.com"]
    path = LINK.search(link_mail.body).group(1)  # type: ignore[union-attr]
    user.refresh_from_db()
    assert user.email == "old@example.com"  # nothing changes before the link

    _, stranger = buyer_client(platform, "someone@example.com")
    assert stranger.get(path).status_code == 403
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    user.refresh_from_db()
    assert user.email == "new@example.com"
    deliver()
    to = {m.to[0]: m.body for m in mail.outbox[1:]}
    assert "n***@example.com" in to["old@example.com"]
    assert "new@example.com" in to
    assert client.post(path).status_code == 410  # single use
    kinds = set(SecurityEvent.objects.values_list("kind", flat=True))
    assert {EventKind.EMAIL_CHANGE_REQUESTED, EventKind.EMAIL_CHANGED} <= kinds


def test_a_taken_address_gets_the_same_answer_and_no_link(platform: Platform) -> None:
    buyer_client(platform, "taken@example.com")
    _, client = buyer_client(platform, "old@example.com")
    resp = client.post("/account/email/", {"email": "taken@example.com", "pin": GOOD_PIN})
    assert resp.status_code == 200
    deliver()
    assert all(not LINK.search(m.body) for m in mail.outbox)
    assert User.objects.get(email="old@example.com")


def test_card_and_security_changes_notify_and_are_logged(platform: Platform) -> None:
    from zhifu.credentials import services as credentials
    from zhifu.credentials.domain import Action, bound

    user, _ = buyer_client(platform, "n@example.com")
    proof = credentials.step_up(user, GOOD_PIN, bound(Action.PIN_CHANGE))
    credentials.change_payment_password(user, "284061", step_up=proof)
    deliver()
    assert any("payment password" in m.body for m in mail.outbox)
    assert SecurityEvent.objects.filter(kind=EventKind.PIN_CHANGED).exists()


def test_an_anonymous_visitor_cannot_change_anything(client: Client, db: None) -> None:
    assert client.post("/account/email/", {"email": "x@example.com"}).status_code == 401
