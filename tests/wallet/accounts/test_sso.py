"""Home page and single sign-on through the platform (docs/security.md SEC-22)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from tests.wallet.accounts.support import ISSUER, FakeProvider, sso
from zhifu.accounts.models import Identity, Platform, User

pytestmark = pytest.mark.django_db

LOGIN_ERROR = "Signing in through your shop did not work. Please press “Go to my wallet” again."


def test_home_has_one_go_to_wallet_button_and_no_register_button(
    client: Client, platform: Platform
) -> None:
    html = client.get("/").content.decode()
    assert html.count("Go to my wallet") == 1
    assert "regist" not in html.lower()


def test_home_in_russian_says_perejti_v_moj_koshelek(client: Client, platform: Platform) -> None:
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Перейти в мой кошелёк" in html


def test_starting_login_by_get_is_refused(client: Client, platform: Platform) -> None:
    assert client.get("/oidc/login/").status_code == 405


def test_login_goes_to_the_shop_with_pkce_state_and_nonce(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = client.post("/oidc/login/", {"platform": "shop"})
    assert resp.status_code == 302
    url = urlsplit(resp["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{ISSUER}/authorize/"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q["client_id"] == "zhifu-wallet"
    assert q["scope"] == "openid email profile"
    assert q["code_challenge_method"] == "S256"
    assert len(q["state"]) >= 43
    assert len(q["nonce"]) >= 43
    assert q["redirect_uri"].endswith("/oidc/callback/")


def test_first_login_creates_a_wallet_user_keyed_by_issuer_and_subject(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = sso(client, provider)
    assert resp.status_code == 302
    assert resp["Location"] == "/account/"
    identity = Identity.objects.get(platform=platform, subject="buyer-1")
    assert identity.email == "anna@example.com"
    assert identity.user.locale == "ru"
    assert identity.user.email is None  # confirmed at the gate, not taken from the shop


def test_second_login_reaches_the_same_wallet_user(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    sso(client, provider)
    client.post("/logout/")
    sso(client, provider)
    assert User.objects.count() == 1
    assert Identity.objects.count() == 1


def test_a_second_platform_trusted_for_verified_email_shares_the_wallet(
    client: Client,
    platform: Platform,
    provider: FakeProvider,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only with the operator's per-platform opt-in (docs/decisions/0010); without it the
    claim never joins (tests/wallet/security/test_shop_linking.py)."""
    from tests.wallet.accounts.support import new_buyer, platform_secret

    platform_secret(monkeypatch, "shop2", provider.secret)
    user = new_buyer("anna@example.com")
    Identity.objects.create(platform=platform, subject="buyer-1", user=user)
    other = Platform.objects.create(
        slug="shop2",
        name="Second shop",
        issuer="https://shop2.test/o",
        client_id="zhifu-wallet",
        trust_email_verified=True,
    )
    provider2 = FakeProvider(issuer=other.issuer, secret=provider.secret)
    provider2.claims = {**provider.claims, "sub": "x-77", "email_verified": True}
    from zhifu.kernel import http

    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(provider2.handle)
    resp = client.post("/oidc/login/", {"platform": "shop2"})
    client.get("/oidc/callback/", provider2.authorize(resp["Location"]))
    assert Identity.objects.get(platform=other, subject="x-77").user == user
    assert User.objects.count() == 1


def test_an_unverified_email_from_a_shop_never_joins_an_existing_wallet(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    from tests.wallet.accounts.support import new_buyer

    existing = new_buyer("anna@example.com")
    sso(client, provider)  # same address, email_verified False
    assert Identity.objects.get(subject="buyer-1").user != existing


def test_login_gives_a_new_session_id(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    client.get("/")
    client.post("/oidc/login/", {"platform": "shop"})
    before = client.cookies["zhifu_wallet_session"].value
    resp = client.post("/oidc/login/", {"platform": "shop"})
    client.get("/oidc/callback/", provider.authorize(resp["Location"]))
    assert client.cookies["zhifu_wallet_session"].value != before


def _callback_with(client: Client, provider: FakeProvider, **tamper: Any) -> Any:
    provider.tamper = tamper
    resp = client.post("/oidc/login/", {"platform": "shop"})
    return client.get("/oidc/callback/", provider.authorize(resp["Location"]))


def _refused(resp: Any) -> None:
    assert resp.status_code == 400
    assert LOGIN_ERROR in resp.content.decode()
    assert "_auth_user_id" not in resp.wsgi_request.session


def test_tampered_state_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = client.post("/oidc/login/", {"platform": "shop"})
    query = provider.authorize(resp["Location"])
    query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    _refused(client.get("/oidc/callback/", query))


def test_missing_state_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = client.post("/oidc/login/", {"platform": "shop"})
    query = provider.authorize(resp["Location"])
    _refused(client.get("/oidc/callback/", {"code": query["code"]}))


def test_state_from_another_browser_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = client.post("/oidc/login/", {"platform": "shop"})
    query = provider.authorize(resp["Location"])
    _refused(Client().get("/oidc/callback/", query))


def test_replayed_callback_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = client.post("/oidc/login/", {"platform": "shop"})
    query = provider.authorize(resp["Location"])
    assert client.get("/oidc/callback/", query).status_code == 302
    client.post("/logout/")
    _refused(client.get("/oidc/callback/", query))


def test_reused_code_is_refused(client: Client, platform: Platform, provider: FakeProvider) -> None:
    resp = client.post("/oidc/login/", {"platform": "shop"})
    query = provider.authorize(resp["Location"])
    code = query["code"]
    client.get("/oidc/callback/", query)
    client.post("/logout/")
    resp = client.post("/oidc/login/", {"platform": "shop"})
    query = provider.authorize(resp["Location"])
    _refused(client.get("/oidc/callback/", {"code": code, "state": query["state"]}))


def test_unsigned_alg_none_token_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    _refused(_callback_with(client, provider, alg="none"))


def test_hs256_token_signed_with_the_public_key_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    _refused(_callback_with(client, provider, alg="HS256"))


def test_token_signed_by_another_key_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _refused(_callback_with(client, provider, key=other))


def test_wrong_audience_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    _refused(_callback_with(client, provider, claims={"aud": "someone-else"}))


def test_wrong_issuer_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    _refused(_callback_with(client, provider, claims={"iss": "https://evil.test/o"}))


def test_expired_token_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    _refused(_callback_with(client, provider, claims={"exp": 1_000_000_000}))


def test_wrong_nonce_is_refused(client: Client, platform: Platform, provider: FakeProvider) -> None:
    _refused(_callback_with(client, provider, claims={"nonce": "not-the-one"}))


def test_provider_error_answer_is_refused(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = client.post("/oidc/login/", {"platform": "shop"})
    query = provider.authorize(resp["Location"])
    _refused(client.get("/oidc/callback/", {"state": query["state"], "error": "access_denied"}))


@pytest.mark.parametrize(
    "evil",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http:/evil", "javascript:x"],
)
def test_next_pointing_off_site_is_ignored(
    client: Client, platform: Platform, provider: FakeProvider, evil: str
) -> None:
    resp = sso(client, provider, next_path=evil)
    assert resp.status_code == 302
    assert resp["Location"] == "/account/"


def test_next_on_the_wallet_is_followed(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    resp = sso(client, provider, next_path="/account/?tab=cards")
    assert resp["Location"] == "/account/?tab=cards"


def test_home_keeps_a_safe_next_from_login_required(client: Client, platform: Platform) -> None:
    html = client.get("/?next=/cards/").content.decode()
    assert 'name="next" value="/cards/"' in html
    html = client.get("/?next=https://evil.example/").content.decode()
    assert 'name="next" value=""' in html
