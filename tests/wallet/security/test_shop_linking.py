"""Issue 10 finding "Takeover by e-mail claim": a new account at a second shop asserting a
wallet's address (``email_verified: true``) was signed straight into that wallet. Now a
new (platform, subject) gets a wallet user of its own and is only *offered* to connect;
connecting takes a single-use link e-mailed to the wallet's confirmed address, then the
wallet's payment password (docs/decisions/0010). The stranded order (the second wallet
exists already) takes the same path; the account page lists the connected shops."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from tests.wallet.accounts.support import (
    CLIENT_SECRET,
    GOOD_PIN,
    FakeProvider,
    platform_secret,
    registered_buyer,
)
from zhifu.accounts import oidc
from zhifu.accounts.models import ConnectLink, Identity, Platform, User
from zhifu.credentials import domain as credentials_domain
from zhifu.credentials import services as credentials
from zhifu.kernel import http
from zhifu.notifications import services as notifications
from zhifu.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

VICTIM = "victim@example.com"
WRONG_PIN = "111333"


class Shops:
    """Two platforms, each with its own fake provider, behind one transport."""

    def __init__(self, a: FakeProvider, b: FakeProvider) -> None:
        self.providers = {"a": a, "b": b}

    def handle(self, request: http.Request) -> http.Response:
        for provider in self.providers.values():
            if request.url.startswith(provider.issuer + "/"):
                return provider.handle(request)
        raise AssertionError(f"no provider for {request.url}")

    def sign_in(self, client: Client, slug: str, **claims: Any) -> Any:
        provider = self.providers[slug]
        provider.claims = {**provider.claims, **claims}
        resp = client.post("/oidc/login/", {"platform": slug})
        assert resp.status_code == 302, resp.content
        return client.get("/oidc/callback/", provider.authorize(resp["Location"]))


@pytest.fixture
def shops(settings: Any, db: Any, monkeypatch: pytest.MonkeyPatch) -> Shops:
    secret = CLIENT_SECRET
    made = {}
    for slug, name in (("a", "Shop A"), ("b", "Shop B")):
        platform = Platform.objects.create(
            slug=slug,
            name=name,
            issuer=f"https://{slug}.shop.test/o",
            client_id="zhifu-wallet",
        )
        platform_secret(monkeypatch, slug, secret)
        made[slug] = FakeProvider(issuer=platform.issuer, secret=secret)
    found = Shops(made["a"], made["b"])
    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(found.handle)
    oidc._discovery_cache.clear()
    return found


@pytest.fixture
def victim(shops: Shops) -> User:
    """A registered wallet made through shop A, whose owner writes in Russian."""
    user = registered_buyer(VICTIM, locale="ru")
    Identity.objects.create(platform=Platform.objects.get(slug="a"), subject="anna", user=user)
    return user


def session_user(client: Client) -> User:
    return User.objects.get(pk=client.session["_auth_user_id"])


def connect_link() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"https?://\S+(/connect/[\w-]+/)", body)
    assert match, body
    return match.group(1)


def ask_to_connect(client: Client, address: str = VICTIM) -> Any:
    return client.post("/connect/", {"connect-email": address})


def stranger_at_b(shops: Shops) -> Client:
    """A *different* account at shop B whose provider claims the victim's address."""
    client = Client()
    shops.sign_in(client, "b", sub="mallory", email=VICTIM, email_verified=True)
    return client


def test_takeover_a_claimed_address_reaches_nothing_of_the_victims_wallet(
    shops: Shops, victim: User
) -> None:
    client = stranger_at_b(shops)
    assert session_user(client) != victim
    assert Identity.objects.get(subject="mallory").user != victim
    assert list(victim.identities.values_list("subject", flat=True)) == ["anna"]
    # The victim's account page and cards are out of reach: only the gate, with the offer.
    for page in ("/account/", "/cards/"):
        resp = client.get(page)
        assert resp.status_code == 302
        assert resp["Location"] == "/confirm-email/"
    gate = client.get("/confirm-email/").content.decode()
    assert "Connect this shop to your wallet" in gate
    assert VICTIM in gate  # the shop's address pre-fills the forms; the wallet is not named
    # Nobody was told anything and no link went anywhere: signing in alone sends nothing.
    assert mail.outbox == []
    assert not OutboxMessage.objects.exists()


def test_takeover_a_connect_link_goes_only_to_the_wallets_confirmed_address(
    shops: Shops, victim: User
) -> None:
    client = stranger_at_b(shops)
    assert ask_to_connect(client).status_code == 302
    assert [m.to for m in mail.outbox] == [[VICTIM]]
    assert "Shop B" in mail.outbox[0].subject
    assert mail.outbox[0].extra_headers["Content-Language"] == "ru"
    # Opening the link needs the session it was asked from; typing a guess gets nothing.
    page = client.get(connect_link())
    assert page.status_code == 200
    assert "Enter the payment password of that wallet" in page.content.decode()
    assert session_user(client) != victim


def test_connect_with_the_payment_password_joins_the_wallet_and_tells_the_owner(
    shops: Shops, victim: User
) -> None:
    client = stranger_at_b(shops)
    stranded = session_user(client)
    ask_to_connect(client)
    resp = client.post(connect_link(), {"pin": GOOD_PIN})
    assert resp.status_code == 302
    assert resp["Location"] == "/account/#shops"
    assert session_user(client) == victim
    assert Identity.objects.get(subject="mallory").user == victim
    assert not User.objects.filter(pk=stranded.pk).exists()  # the empty wallet user is gone
    (note,) = OutboxMessage.objects.filter(payload__template="platform_connected")
    assert note.payload["to"] == VICTIM
    assert note.payload["language"] == "ru"
    assert note.payload["context"] == {"shop": "Shop B"}
    assert note.payload["freeze_for"] == str(victim.pk)  # its own "This wasn't me" link
    assert client.get("/account/").status_code == 200


def test_the_connected_email_says_not_you_in_the_owners_language() -> None:
    subject, body = notifications.render("platform_connected", "ru", {"shop": "Shop B"})
    assert subject == "Магазин Shop B подключён к вашему кошельку zhifu"
    assert "Это были не вы?" in body
    subject, body = notifications.render("platform_connected", "en", {"shop": "Shop B"})
    assert subject == "Shop B was connected to your zhifu wallet"
    assert "Not you?" in body


def test_the_connect_link_is_single_use(shops: Shops, victim: User) -> None:
    client = stranger_at_b(shops)
    ask_to_connect(client)
    link = connect_link()
    assert client.post(link, {"pin": GOOD_PIN}).status_code == 302
    resp = client.get(link)
    assert resp.status_code == 410
    assert "This link has already been used." in resp.content.decode()
    assert client.post(link, {"pin": GOOD_PIN}).status_code == 410


def test_the_connect_link_expires(shops: Shops, victim: User) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        client = stranger_at_b(shops)
        ask_to_connect(client)
        link = connect_link()
        t.shift(dt.timedelta(minutes=30))
        resp = client.post(link, {"pin": GOOD_PIN})
    assert resp.status_code == 410
    assert "This link has expired: it worked for 30 minutes." in resp.content.decode()
    assert Identity.objects.get(subject="mallory").user != victim


def test_the_connect_link_is_bound_to_the_shop_account_it_was_made_for(
    shops: Shops, victim: User
) -> None:
    client = stranger_at_b(shops)
    ask_to_connect(client)
    link = connect_link()
    other = Client()
    shops.sign_in(other, "b", sub="someone-else", email="else@example.com")
    for resp in (other.get(link), other.post(link, {"pin": GOOD_PIN})):
        assert resp.status_code == 403
        assert "This link was made for another shop account." in resp.content.decode()
    assert Identity.objects.get(subject="someone-else").user != victim
    assert Identity.objects.get(subject="mallory").user != victim
    assert client.get(link).status_code == 200  # still good for the one it was made for


def test_without_the_right_payment_password_nothing_is_connected_and_the_lockout_counts(
    shops: Shops, victim: User
) -> None:
    client = stranger_at_b(shops)
    ask_to_connect(client)
    link = connect_link()
    for _ in range(credentials_domain.MAX_FAILURES):
        resp = client.post(link, {"pin": WRONG_PIN})
        assert resp.status_code in (400, 403, 423, 429)
        assert "The shop was not connected." in resp.content.decode()
    assert credentials.lock_state(victim) is not None  # the owner's counter, shared
    resp = client.post(link, {"pin": GOOD_PIN})  # locked now: even the right one fails
    assert "The shop was not connected." in resp.content.decode()
    assert Identity.objects.get(subject="mallory").user != victim
    assert session_user(client) != victim
    assert not OutboxMessage.objects.filter(payload__template="platform_connected").exists()


def test_only_a_hash_of_the_connect_link_is_stored(shops: Shops, victim: User) -> None:
    client = stranger_at_b(shops)
    ask_to_connect(client)
    token = connect_link().split("/")[2]
    (row,) = ConnectLink.objects.all()
    assert token not in row.token_hash
    assert len(row.token_hash) == 64


def test_a_connect_request_for_an_address_without_a_wallet_answers_the_same(
    shops: Shops, victim: User
) -> None:
    pages = []
    for address in (VICTIM, "nobody@example.com"):
        client = Client()
        shops.sign_in(client, "b", sub=f"s-{address}", email=address)
        resp = ask_to_connect(client, address)
        page = client.get("/confirm-email/").content.decode().replace(address, "ADDRESS")
        pages.append(
            (resp.status_code, resp["Location"], page.split('name="csrfmiddlewaretoken"')[0])
        )
    assert pages[0] == pages[1]
    assert [m.to for m in mail.outbox] == [[VICTIM]]  # no link to an address with no wallet


def test_connect_requests_count_against_the_send_limits(shops: Shops, victim: User) -> None:
    client = stranger_at_b(shops)
    client.post("/confirm-email/", {"email": "mine@example.com"})
    resp = ask_to_connect(client)  # within the 60 seconds of the confirmation e-mail
    assert resp.status_code == 429
    assert [m.to for m in mail.outbox] == [["mine@example.com"]]


def test_stranded_order_connects_through_the_same_path(shops: Shops) -> None:
    """The wallet was made at B first; the same buyer then signs in through A (their
    shop there does not vouch for the address) and is stranded in a second wallet."""
    owner = registered_buyer("anna@example.com", locale="en")
    Identity.objects.create(platform=Platform.objects.get(slug="b"), subject="anna-b", user=owner)
    client = Client()
    shops.sign_in(client, "a", sub="anna-a", email="anna@example.com", email_verified=False)
    stranded = session_user(client)
    assert stranded != owner
    # The gate answers neutrally; the owner is told, and told how to connect instead.
    client.post("/confirm-email/", {"email": "anna@example.com"})
    (note,) = OutboxMessage.objects.filter(payload__template="email_taken")
    _, body = notifications.render("email_taken", "en", {})
    assert "E-mail me a link to connect" in body
    assert "Connect this shop to your wallet" in client.get("/confirm-email/").content.decode()
    with time_machine.travel(dt.timedelta(minutes=2)):  # past the gate's 60-second cooldown
        ask_to_connect(client, "anna@example.com")
        assert client.post(connect_link(), {"pin": GOOD_PIN}).status_code == 302
    assert session_user(client) == owner
    assert Identity.objects.get(subject="anna-a").user == owner
    assert not User.objects.filter(pk=stranded.pk).exists()
    assert note.payload["to"] == "anna@example.com"


def connected(shops: Shops, victim: User) -> Client:
    """The victim's own second shop account, connected; the session signed in through B."""
    client = Client()
    shops.sign_in(client, "b", sub="anna-b", email=VICTIM)
    ask_to_connect(client)
    assert client.post(connect_link(), {"pin": GOOD_PIN}).status_code == 302
    return client


def test_connected_shops_are_listed_on_the_account_page(shops: Shops, victim: User) -> None:
    client = connected(shops, victim)
    html = client.get("/account/").content.decode()
    assert "Connected shops" in html
    assert "Shop A" in html
    assert "Shop B" in html
    assert "You are signed in through this shop." in html
    assert html.count('class="remove-shop"') == 1  # only A can be removed from here
    ru = client.get("/account/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Подключённые магазины" in ru
    assert "Вы вошли через этот магазин." in ru


def test_removing_a_shop_needs_the_payment_password(shops: Shops, victim: User) -> None:
    client = connected(shops, victim)
    shop_a = Identity.objects.get(subject="anna")
    url = f"/account/shops/{shop_a.pk}/remove/"
    resp = client.post(url, {"pin": WRONG_PIN})
    assert resp.status_code in (400, 403)
    assert Identity.objects.filter(pk=shop_a.pk).exists()
    assert client.post(url, {"pin": GOOD_PIN}).status_code == 302
    assert not Identity.objects.filter(pk=shop_a.pk).exists()
    (note,) = OutboxMessage.objects.filter(payload__template="platform_disconnected")
    assert note.payload["context"] == {"shop": "Shop A"}
    assert note.payload["freeze_for"] == str(victim.pk)
    # The next sign-in through A starts an empty wallet of its own.
    again = Client()
    shops.sign_in(again, "a", sub="anna", email=VICTIM)
    assert session_user(again) != victim


def test_the_shop_signed_in_through_cannot_be_removed(shops: Shops, victim: User) -> None:
    client = connected(shops, victim)
    shop_b = Identity.objects.get(subject="anna-b")
    resp = client.post(f"/account/shops/{shop_b.pk}/remove/", {"pin": GOOD_PIN})
    assert resp.status_code == 409
    assert "You are signed in through this shop, so it cannot be removed now." in (
        resp.content.decode()
    )
    assert Identity.objects.filter(pk=shop_b.pk, user=victim).exists()


def test_another_wallets_shop_cannot_be_removed(shops: Shops, victim: User) -> None:
    client = connected(shops, victim)
    theirs = Identity.objects.create(
        platform=Platform.objects.get(slug="a"), subject="z", user=registered_buyer("z@example.com")
    )
    resp = client.post(f"/account/shops/{theirs.pk}/remove/", {"pin": GOOD_PIN})
    assert resp.status_code == 404
    assert Identity.objects.filter(pk=theirs.pk).exists()


def test_trust_email_verified_is_off_by_default_and_joins_only_when_set(
    shops: Shops, victim: User
) -> None:
    assert Platform.objects.get(slug="b").trust_email_verified is False
    Platform.objects.filter(slug="b").update(trust_email_verified=True)
    client = Client()
    shops.sign_in(client, "b", sub="anna-b", email=VICTIM, email_verified=True)
    assert session_user(client) == victim
