"""The wallet against an OpenID provider that is not django-oauth-toolkit (issue 10 "Done
when"): a provider built to the specifications (spec_provider.SpecProvider), a client
secret with ``+ / =``, ``client_secret_post``, a forged ``iss`` and an http issuer outside
the demo."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.test import Client

from tests.wallet.accounts.spec_provider import SpecProvider
from tests.wallet.accounts.support import platform_secret
from zhifu.accounts import oidc
from zhifu.accounts.models import Identity, Platform
from zhifu.config.site import config
from zhifu.kernel import http

pytestmark = pytest.mark.django_db

ISSUER = "https://id.example.org/realms/shop"
# 64 characters, the characters RFC 6749 §2.3.1 encodes: "+", "/", "=" and "%".
SECRET = (
    "q7+Zr/9Kx=Lm%2Fw" + "a1B2c3D4e5F6g7H8" + "+/=+/=%%" + "Zz09Yy18Xx27Ww36Vv45Uu54"
)  # pragma: allowlist secret


@pytest.fixture(autouse=True)
def _fresh_discovery() -> Any:
    oidc._discovery_cache.clear()
    yield
    oidc._discovery_cache.clear()


def connect(
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    *,
    issuer: str = ISSUER,
    auth_method: str = "client_secret_basic",
    sends_iss: bool = True,
) -> SpecProvider:
    provider = SpecProvider(
        issuer,
        "wallet-client-1",
        SECRET,
        config().urls["wallet"] + "/oidc/callback/",
        auth_method=auth_method,
        sends_iss=sends_iss,
    )
    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(provider.handle)
    platform_secret(monkeypatch, "certified", SECRET)
    Platform.objects.create(
        slug="certified",
        name="Certified shop",
        issuer=issuer,
        client_id="wallet-client-1",
        token_auth_method=auth_method,
    )
    return provider


def start(client: Client, provider: SpecProvider) -> dict[str, str]:
    resp = client.post("/oidc/login/", {"platform": "certified"})
    assert resp.status_code == 302, resp.content
    return provider.authorize(resp["Location"])


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_a_buyer_signs_in_through_a_spec_provider_with_a_secret_full_of_plus_slash_equals(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch, auth_method: str
) -> None:
    provider = connect(settings, monkeypatch, auth_method=auth_method)
    resp = client.get("/oidc/callback/", start(client, provider))
    assert resp.status_code == 302, resp.content
    assert signed_in(client)
    assert Identity.objects.get(platform__slug="certified").subject == "c0ffee"


def test_basic_credentials_are_form_urlencoded_first() -> None:
    value = oidc.basic_credentials("id:1", "a+b/c=d%e f")
    import base64

    decoded = base64.b64decode(value.removeprefix("Basic ")).decode()
    assert decoded == "id%3A1:a%2Bb%2Fc%3Dd%25e+f"


def test_a_forged_iss_on_the_callback_is_refused_before_the_code_is_exchanged(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = connect(settings, monkeypatch)
    query = {**start(client, provider), "iss": "https://attacker.example/o"}
    resp = client.get("/oidc/callback/", query)
    assert resp.status_code == 400
    assert resp.context["code"] == "wrong_iss"
    assert provider.token_requests == 0
    assert not signed_in(client)


def test_a_missing_iss_is_refused_when_the_provider_advertises_it(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = connect(settings, monkeypatch)
    query = start(client, provider)
    del query["iss"]
    resp = client.get("/oidc/callback/", query)
    assert resp.status_code == 400
    assert resp.context["code"] == "missing_iss"
    assert provider.token_requests == 0


def test_a_missing_iss_is_accepted_from_a_provider_that_never_sends_one(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = connect(settings, monkeypatch, sends_iss=False)
    resp = client.get("/oidc/callback/", start(client, provider))
    assert resp.status_code == 302
    assert signed_in(client)


def test_a_forged_iss_is_refused_even_from_a_provider_that_never_sends_one(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = connect(settings, monkeypatch, sends_iss=False)
    query = {**start(client, provider), "iss": "https://attacker.example/o"}
    assert client.get("/oidc/callback/", query).status_code == 400
    assert provider.token_requests == 0


def outside_the_demo(settings: Any) -> None:
    settings.ZHIFU = dataclasses.replace(config(), demo=False)


def test_an_http_issuer_is_refused_outside_the_demo(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(settings, monkeypatch, issuer="http://id.example.org/realms/shop")
    outside_the_demo(settings)
    resp = client.post("/oidc/login/", {"platform": "certified"})
    assert resp.status_code == 502
    assert resp.context["code"] == "insecure_issuer"
    assert settings.ZHIFU_HTTP_TRANSPORT.requests == []  # not even discovery over http


def test_an_https_issuer_naming_an_http_endpoint_is_refused_outside_the_demo(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = connect(settings, monkeypatch)
    outside_the_demo(settings)
    discovery = provider.discovery

    def downgraded() -> dict[str, Any]:
        return {**discovery(), "token_endpoint": "http://id.example.org/realms/shop/token"}

    provider.discovery = downgraded  # type: ignore[method-assign]
    resp = client.post("/oidc/login/", {"platform": "certified"})
    assert resp.context["code"] == "insecure_issuer"


def test_an_https_provider_works_outside_the_demo(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = connect(settings, monkeypatch)
    outside_the_demo(settings)
    query = start(client, provider)
    assert client.get("/oidc/callback/", query, secure=True).status_code == 302


def test_an_http_issuer_works_in_the_demo(
    client: Client, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider = connect(settings, monkeypatch, issuer="http://127.0.0.3:8003/o")
    assert config().demo
    assert client.get("/oidc/callback/", start(client, provider)).status_code == 302
