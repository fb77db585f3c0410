"""The wallet's home names the shop the buyer will sign in with, keeps the choice after an
error, takes ``/?platform=<slug>`` from a shop's "My wallet" link and remembers the last
shop chosen (issue 10)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.wallet.accounts.support import CLIENT_ID, FakeProvider, platform_secret, sso
from zhifu.accounts.models import Platform

pytestmark = pytest.mark.django_db


@pytest.fixture
def second(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Platform:
    platform_secret(monkeypatch, "second", "another-secret")
    return Platform.objects.create(
        slug="second", name="Second Market", issuer="https://second.test/o", client_id=CLIENT_ID
    )


def selected(html: str) -> str:
    match = re.search(r'<option value="([\w-]+)" selected>', html)
    assert match, html
    return match.group(1)


def sentence(html: str) -> str:
    match = re.search(r'<p class="sign-in-shop"><small>(.*?)</small>', html)
    assert match, html
    return match.group(1)


def test_the_home_names_the_only_shop(client: Client, platform: Platform) -> None:
    html = client.get("/").content.decode()
    assert "You sign in with your account at Test shop." in sentence(html)


def test_a_shops_my_wallet_link_preselects_and_names_that_shop(
    client: Client, second: Platform
) -> None:
    html = client.get("/?platform=second").content.decode()
    assert selected(html) == "second"
    assert "Second Market" in sentence(html)
    assert "zhifu shop" not in sentence(html)
    assert "via Second Market" in html  # the header says which shop the buyer came through


def test_an_unknown_or_inactive_platform_in_the_link_falls_back_to_the_first(
    client: Client, second: Platform
) -> None:
    assert selected(client.get("/?platform=nope").content.decode()) == "shop"
    second.is_active = False
    second.save()
    html = client.get("/?platform=second").content.decode()
    assert "Second Market" not in html


def test_the_choice_is_kept_after_a_failed_sign_in(
    client: Client, second: Platform, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from zhifu.config.secrets import platform_secret_variable

    monkeypatch.delenv(platform_secret_variable("second"))  # so the sign-in fails
    resp = client.post("/oidc/login/", {"platform": "second"})
    assert resp.status_code == 502
    html = resp.content.decode()
    assert selected(html) == "second"
    assert "Second Market" in sentence(html)


def test_the_last_shop_is_remembered_across_sign_out(
    client: Client, second: Platform, provider: FakeProvider
) -> None:
    assert selected(client.get("/").content.decode()) == "shop"
    client.get("/?platform=second")
    assert selected(client.get("/").content.decode()) == "second"
    client.post("/oidc/login/", {"platform": "shop"})  # chosen by pressing the button
    assert selected(client.get("/").content.decode()) == "shop"
    client.get("/?platform=second")
    sso(client, provider)  # signs in through "shop"
    client.post("/logout/")
    assert selected(client.get("/").content.decode()) == "shop"


def test_sign_out_is_offered_to_a_signed_in_buyer_only(
    client: Client, second: Platform, provider: FakeProvider
) -> None:
    # With two shops the anonymous home once showed "Sign out", and signed-in pages lost it.
    assert "Sign out" not in client.get("/").content.decode()
    sso(client, provider)
    html = client.get("/confirm-email/").content.decode()
    assert 'action="/logout/"' in html
    assert "Sign out" in html
    assert 'via <a href="https://shop.test/">Test shop</a>' in html
