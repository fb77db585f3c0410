"""Every security notice carries its own "This wasn't me" link (issue 13, build item 6): a
card added or deleted, the payment password or questions changed or the payment password
locked, the e-mail address changed (to the old and the new address). One confirmation, no
sign-in, single use, seven days; the token is made when the worker sends the e-mail and
kept only as its hash."""

from __future__ import annotations

import hashlib
import logging
import re

import pytest
from django.core import mail
from django.test import Client

from tests.wallet.accounts.support import GOOD_CHOICES
from tests.wallet.recovery.support import (
    FREEZE,
    GOOD_PIN,
    NEW_PIN,
    buyer_client,
    deliver,
    lock_pin,
    table_dump,
    time_travel,
)
from tests.wallet.stepup import adding, deleting
from tests.wallet.vault.support import card_input
from zhifu.accounts.models import Platform, User
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import Action, bound
from zhifu.notifications.models import FreezeLink
from zhifu.outbox.models import OutboxMessage
from zhifu.security import services as security
from zhifu.vault import services as vault

pytestmark = pytest.mark.django_db(databases=["default", "vault"])
EMAIL_LINK = re.compile(r"https?://[^/\s]+(/account/email/[\w-]+/)")


def _token(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


def every_notice(user: User, client: Client) -> None:
    """Each security change a buyer can make, each announcing itself by e-mail."""
    proof = credentials.step_up(user, GOOD_PIN, bound(Action.PIN_CHANGE))
    credentials.change_payment_password(user, NEW_PIN, step_up=proof)
    proof = credentials.step_up(user, NEW_PIN, bound(Action.QUESTIONS_CHANGE))
    credentials.change_security_questions(user, GOOD_CHOICES, step_up=proof)
    card = vault.add_card(
        user, card_input(), network=FakeCardNetwork(), email=user.email, step_up=adding(user)
    )
    vault.delete_card(user, card.id, email=user.email, step_up=deleting(user, card.id))
    client.post("/account/email/", {"email": "new@example.com", "pin": NEW_PIN})
    (confirm,) = [m for m in mail.outbox if EMAIL_LINK.search(m.body)]
    path = EMAIL_LINK.search(confirm.body).group(1)  # type: ignore[union-attr]
    assert client.post(path).status_code == 302
    mail.outbox.remove(confirm)  # not a notice: the link that makes the change
    lock_pin(user)  # wrong tries: someone may be guessing
    deliver()


def test_every_security_notice_carries_a_freeze_link_of_its_own(platform: Platform) -> None:
    user, client = buyer_client(platform, "old@example.com")
    every_notice(user, client)
    notices = {(m.to[0], m.subject): FREEZE.findall(m.body) for m in mail.outbox}
    assert sorted(notices) == [
        ("new@example.com", "This is now your wallet's address"),
        ("new@example.com", "Your payment password is locked"),
        ("old@example.com", "A card was added to your wallet"),
        ("old@example.com", "A card was deleted from your wallet"),
        ("old@example.com", "Your payment password was changed"),
        ("old@example.com", "Your security questions were changed"),
        ("old@example.com", "Your wallet's e-mail address was changed"),
    ]
    assert all(len(paths) == 1 for paths in notices.values()), notices
    assert len({paths[0] for paths in notices.values()}) == len(notices)  # one each
    assert FreezeLink.objects.filter(user_id=str(user.pk)).count() == len(notices)


def test_a_notices_link_freezes_the_wallet_with_one_confirmation_and_no_sign_in(
    platform: Platform,
) -> None:
    user, client = buyer_client(platform)
    proof = credentials.step_up(user, GOOD_PIN, bound(Action.PIN_CHANGE))
    credentials.change_payment_password(user, NEW_PIN, step_up=proof)
    deliver()
    (path,) = FREEZE.findall(mail.outbox[-1].body)
    stranger = Client()  # the owner, on a device with no wallet session
    resp = stranger.get(path)
    assert (resp.status_code, resp["Location"]) == (302, "/recovery/freeze/")  # token gone
    assert resp["Referrer-Policy"] == "no-referrer"
    assert not security.restrictions(user).frozen  # opening is not confirming
    assert stranger.get("/recovery/freeze/").status_code == 200
    assert stranger.post("/recovery/freeze/").status_code == 200
    assert security.restrictions(user).frozen
    assert client.get("/account/").status_code == 401  # every session ended
    again = Client()
    again.get(path)
    assert again.get("/recovery/freeze/").status_code == 410  # single use
    assert again.post("/recovery/freeze/").status_code == 410


def test_each_notices_link_is_its_own_and_freezes_only_its_buyer(platform: Platform) -> None:
    anna, _ = buyer_client(platform, "anna@example.com")
    boris, _ = buyer_client(platform, "boris@example.com")
    for buyer in (anna, boris):
        proof = credentials.step_up(buyer, GOOD_PIN, bound(Action.PIN_CHANGE))
        credentials.change_payment_password(buyer, NEW_PIN, step_up=proof)
        proof = credentials.step_up(buyer, NEW_PIN, bound(Action.QUESTIONS_CHANGE))
        credentials.change_security_questions(buyer, GOOD_CHOICES, step_up=proof)
    deliver()
    links = {(m.to[0], m.subject): FREEZE.findall(m.body)[0] for m in mail.outbox}
    boris_pin = links["boris@example.com", "Your payment password was changed"]
    boris_questions = links["boris@example.com", "Your security questions were changed"]
    visitor = Client()
    visitor.get(boris_pin)
    assert visitor.post("/recovery/freeze/").status_code == 200
    assert security.restrictions(boris).frozen
    assert not security.restrictions(anna).frozen
    # Spending one link leaves the buyer's other notices' links working.
    other = Client()
    other.get(boris_questions)
    assert other.get("/recovery/freeze/").status_code == 200
    # A made-up token, or one a letter off, is refused the same way.
    for path in ("/recovery/freeze/" + "A" * 43 + "/", boris_pin[:-2] + "x/"):
        guess = Client()
        assert guess.get(path).status_code == 302
        assert guess.post("/recovery/freeze/").status_code == 410
    assert not security.restrictions(anna).frozen


def test_a_notices_link_expires_after_seven_days(platform: Platform) -> None:
    user, _ = buyer_client(platform)
    proof = credentials.step_up(user, GOOD_PIN, bound(Action.PIN_CHANGE))
    credentials.change_payment_password(user, NEW_PIN, step_up=proof)
    deliver()
    (path,) = FREEZE.findall(mail.outbox[-1].body)
    with time_travel(7 * 24 * 60 - 1):
        early = Client()
        early.get(path)
        assert early.get("/recovery/freeze/").status_code == 200
    with time_travel(7 * 24 * 60 + 1):
        late = Client()
        late.get(path)
        assert late.get("/recovery/freeze/").status_code == 410
        assert late.post("/recovery/freeze/").status_code == 410
    assert not security.restrictions(user).frozen


def test_no_notice_token_reaches_a_table_a_log_the_outbox_or_a_page(
    platform: Platform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user, client = buyer_client(platform, "old@example.com")
    every_notice(user, client)
    paths = [path for m in mail.outbox for path in FREEZE.findall(m.body)]
    tokens = [_token(path) for path in paths]
    assert len(tokens) == 7
    pages, urls = [], []
    for path in paths[:2]:
        visitor = Client()
        resp = visitor.get(path)
        urls.append(resp["Location"])
        pages.append(visitor.get(resp["Location"]).content.decode())
        pages.append(visitor.post("/recovery/freeze/").content.decode())
    stored = set(FreezeLink.objects.values_list("token_hash", flat=True))
    assert stored == {hashlib.sha256(t.encode()).hexdigest() for t in tokens}  # hashes only
    payloads = " ".join(str(m.payload) for m in OutboxMessage.objects.all())
    logs = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    dump = table_dump()
    assert "old@example.com" in dump  # the dump does see the data
    for where, text in {
        "tables": dump,
        "outbox": payloads,
        "logs": logs,
        "pages": "\n".join(pages),
        "urls": "\n".join(urls),
    }.items():
        for token in tokens:
            assert token not in text, where
