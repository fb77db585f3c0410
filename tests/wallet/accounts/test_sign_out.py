"""The wallet's "Sign out" (issue 14, P8): it says so, offers to log out of the shop too
(RP-initiated logout at the provider's end_session_endpoint) and hears the shop's answer;
after it, nothing of the old session opens the wallet."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.wallet.accounts.support import ISSUER, FakeProvider, registered_buyer, sign_in, sso
from zhifu.accounts.models import Platform
from zhifu.config.site import config

pytestmark = pytest.mark.django_db


def shop_logout_link(html: str) -> str:
    match = re.search(r'<a href="([^"]+)" role="button" class="secondary">Log out of', html)
    return unescape(match.group(1)) if match else ""


def test_sign_out_says_so_and_offers_the_shops_logout(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    sign_in(client, registered_buyer(), platform)
    response = client.post("/logout/")
    assert response["Location"] == "/"
    html = client.get("/").content.decode()
    assert "You signed out of the wallet." in html
    link = shop_logout_link(html)
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/logout/"
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert params["client_id"] == "zhifu-wallet"
    assert params["post_logout_redirect_uri"] == f"{config().urls['wallet']}/"
    assert len(params["state"]) >= 32
    # Once: a reload of the home page is the plain home page.
    assert "You signed out" not in client.get("/").content.decode()


def test_back_from_the_shops_logout_the_home_page_says_both(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    sign_in(client, registered_buyer(), platform)
    client.post("/logout/")
    state = parse_qs(urlsplit(shop_logout_link(client.get("/").content.decode())).query)["state"]
    html = client.get("/", {"state": state[0]}).content.decode()
    assert "You signed out of the wallet and of Test shop." in html
    # The state works once, and only this browser's.
    assert "and of Test shop" not in client.get("/", {"state": state[0]}).content.decode()


def test_a_foreign_state_says_nothing(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    sign_in(client, registered_buyer(), platform)
    client.post("/logout/")
    client.get("/")
    html = client.get("/", {"state": "forged-state"}).content.decode()
    assert "and of Test shop" not in html
    assert "and of" not in Client().get("/", {"state": "forged-state"}).content.decode()


def test_a_provider_without_logout_gets_no_offer(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    provider.end_session_endpoint = None
    sign_in(client, registered_buyer(), platform)
    client.post("/logout/")
    html = client.get("/").content.decode()
    assert "You signed out of the wallet." in html
    assert shop_logout_link(html) == ""


def test_after_sign_out_the_old_session_opens_nothing(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    sign_in(client, registered_buyer(), platform)
    old_cookie = client.cookies["zhifu_wallet_session"].value
    client.post("/logout/")
    thief = Client()
    thief.cookies["zhifu_wallet_session"] = old_cookie
    assert thief.get("/account/").status_code == 401
    assert thief.get("/cards/")["Location"].startswith("/?next=/cards/")


def test_signing_in_again_goes_through_the_shop(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    sign_in(client, registered_buyer(), platform)
    client.post("/logout/")
    # The wallet keeps no way back in of its own: only a new sign-in at the shop.
    response = client.post("/oidc/login/", {"platform": "shop"})
    assert response["Location"].startswith(f"{ISSUER}/authorize/?")
    assert client.get("/account/").status_code == 401


def test_a_forged_callback_in_a_signed_in_browser_keeps_the_session(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    assert sso(client, provider).status_code == 302
    response = client.get("/oidc/callback/", {"state": "forged", "code": "x"})
    assert response["Location"] == "/account/"
    page = client.get("/account/", HTTP_ACCEPT_LANGUAGE="en", follow=True)
    html = page.content.decode()
    assert page.status_code == 200  # the e-mail gate of this new wallet, still signed in
    assert "You are already signed in to your wallet." in html
    assert "Go to my wallet” again" not in html
