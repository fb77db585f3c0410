"""The shop as OpenID Connect provider for the wallet (the contract in docs/marketplace.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client
from jwcrypto import jwk, jwt

from tests.marketplace.conftest import PASSWORD
from zhifu.config.site import config
from zhifu.marketplace.models import Buyer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wallet_client")]


def issuer() -> str:
    return f"{config().urls['marketplace']}/o"


def redirect_uri() -> str:
    return f"{config().urls['wallet']}/oidc/callback/"


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_url(**overrides: str) -> str:
    params = {
        "response_type": "code",
        "client_id": "zhifu-wallet",
        "redirect_uri": redirect_uri(),
        "scope": "openid email profile",
        "state": "state-123",
        "nonce": "nonce-456",
        **overrides,
    }
    return "/o/authorize/?" + urlencode({k: v for k, v in params.items() if v})


def query(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(client: Client, challenge: str) -> str:
    response = client.get(authorize_url(code_challenge=challenge, code_challenge_method="S256"))
    assert response.status_code == 302, response.content
    assert response["Location"].startswith(redirect_uri() + "?")
    params = query(response["Location"])
    assert params["state"] == "state-123"
    assert params["iss"] == issuer()
    return params["code"]


def exchange(client: Client, code: str, verifier: str, secret: str | None = None) -> Any:
    return client.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri(),
            "client_id": "zhifu-wallet",
            "client_secret": secret or config().secret("oidc_client_secret").reveal(),
            "code_verifier": verifier,
        },
    )


def test_discovery_document(client: Client) -> None:
    response = client.get("/o/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    base = config().urls["marketplace"]
    assert doc["issuer"] == issuer()
    assert doc["authorization_endpoint"] == f"{base}/o/authorize/"
    assert doc["token_endpoint"] == f"{base}/o/token/"
    assert doc["userinfo_endpoint"] == f"{base}/o/userinfo/"
    assert doc["jwks_uri"] == f"{base}/o/.well-known/jwks.json"
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert {"openid", "email", "profile"} <= set(doc["scopes_supported"])
    assert doc["claims_supported"] == ["sub", "email", "email_verified", "name", "locale"]


def test_discovery_lists_only_what_the_shop_supports(client: Client) -> None:
    doc = client.get("/o/.well-known/openid-configuration").json()
    base = config().urls["marketplace"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]  # no HS256
    assert doc["grant_types_supported"] == ["authorization_code"]  # no refresh tokens issued
    assert doc["response_modes_supported"] == ["query"]
    assert doc["revocation_endpoint"] == f"{base}/o/revoke_token/"
    assert set(doc["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
    }
    assert doc["authorization_response_iss_parameter_supported"] is True  # get_code sees iss


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_a_secret_with_plus_slash_equals_works_by_either_auth_method(
    client: Client, signed_in: Client, method: str
) -> None:
    import base64 as b64
    from urllib.parse import quote_plus

    from oauth2_provider.models import Application

    secret = "q7+Zr/9Kx=Lm%2Fw+/=="  # pragma: allowlist secret
    app = Application.objects.get(client_id="zhifu-wallet")
    app.client_secret = secret
    app.save()
    verifier, challenge = pkce()
    form = {
        "grant_type": "authorization_code",
        "code": get_code(signed_in, challenge),
        "redirect_uri": redirect_uri(),
        "code_verifier": verifier,
    }
    if method == "client_secret_post":
        response = Client().post(
            "/o/token/", {**form, "client_id": "zhifu-wallet", "client_secret": secret}
        )
    else:
        pair = f"{quote_plus('zhifu-wallet')}:{quote_plus(secret, safe='')}"
        basic = "Basic " + b64.b64encode(pair.encode()).decode()
        response = Client().post("/o/token/", form, HTTP_AUTHORIZATION=basic)
    assert response.status_code == 200, response.content


def test_jwks_publishes_the_rs256_signing_key(client: Client) -> None:
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert (keys[0]["kty"], keys[0]["alg"], keys[0]["use"]) == ("RSA", "RS256", "sig")
    assert "d" not in keys[0]  # public part only


def test_authorize_without_login_goes_to_the_shop_login(client: Client) -> None:
    url = authorize_url(code_challenge=pkce()[1], code_challenge_method="S256")
    response = client.get(url)
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/login/?")
    assert query(location)["next"] == url
    page = client.get(location).content.decode()
    assert "continue to the zhifu wallet" in page


def test_login_returns_to_the_authorize_url(client: Client, buyer: Buyer) -> None:
    url = authorize_url(code_challenge=pkce()[1], code_challenge_method="S256")
    response = client.post("/login/", {"username": buyer.email, "password": PASSWORD, "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    response = client.get(url)
    assert response["Location"].startswith(redirect_uri() + "?code=")


def test_login_ignores_an_off_site_next(client: Client, buyer: Buyer) -> None:
    for bad in ("https://evil.example/o/authorize/", "//evil.example/", "javascript:alert(1)"):
        response = client.post(
            "/login/", {"username": buyer.email, "password": PASSWORD, "next": bad}
        )
        assert response.status_code == 302
        assert response["Location"] == "/", bad
        client.post("/logout/")


def test_authorize_without_pkce_is_refused(signed_in: Client) -> None:
    response = signed_in.get(authorize_url())
    assert response.status_code == 302
    params = query(response["Location"])
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_authorize_with_plain_pkce_is_refused(signed_in: Client) -> None:
    verifier = secrets.token_urlsafe(48)
    response = signed_in.get(authorize_url(code_challenge=verifier, code_challenge_method="plain"))
    params = query(response["Location"])
    assert params["error"] == "invalid_request"
    assert "code" not in params


def test_authorize_with_an_unregistered_redirect_uri_does_not_redirect(
    signed_in: Client,
) -> None:
    response = signed_in.get(
        authorize_url(
            redirect_uri="https://evil.example/cb",
            code_challenge=pkce()[1],
            code_challenge_method="S256",
        )
    )
    assert response.status_code == 400
    assert "evil.example" not in response.get("Location", "")
    assert "This sign-in request cannot be completed" in response.content.decode()


def test_code_flow_gives_a_signed_id_token_with_the_contract_claims(
    signed_in: Client, buyer: Buyer
) -> None:
    verifier, challenge = pkce()
    code = get_code(signed_in, challenge)
    response = exchange(Client(), code, verifier)
    assert response.status_code == 200, response.content
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"

    jwks = jwk.JWKSet.from_json(Client().get("/o/.well-known/jwks.json").content)
    token = jwt.JWT(jwt=tokens["id_token"], key=jwks, algs=["RS256"])
    header = json.loads(token.header)
    assert header["alg"] == "RS256"
    claims = json.loads(token.claims)
    assert claims["iss"] == issuer()
    assert claims["aud"] == "zhifu-wallet"
    assert claims["nonce"] == "nonce-456"
    assert claims["sub"] == buyer.public_id
    assert claims["sub"] not in (buyer.email, str(buyer.pk))
    assert claims["email"] == "olga@example.org"
    assert claims["email_verified"] is False
    assert claims["name"] == "Olga Petrova"
    assert claims["locale"] == "ru"
    assert claims["exp"] > claims["iat"]
    assert set(claims) == {
        *("iss", "aud", "iat", "exp", "auth_time", "jti", "nonce", "at_hash"),
        *("sub", "email", "email_verified", "name", "locale"),
    }


def test_userinfo_gives_the_same_claims(signed_in: Client, buyer: Buyer) -> None:
    verifier, challenge = pkce()
    tokens = exchange(Client(), get_code(signed_in, challenge), verifier).json()
    response = Client().get(
        "/o/userinfo/", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "sub": buyer.public_id,
        "email": "olga@example.org",
        "email_verified": False,
        "name": "Olga Petrova",
        "locale": "ru",
    }


def test_without_profile_scope_name_and_locale_are_left_out(signed_in: Client) -> None:
    verifier, challenge = pkce()
    response = signed_in.get(
        authorize_url(scope="openid email", code_challenge=challenge, code_challenge_method="S256")
    )
    tokens = exchange(Client(), query(response["Location"])["code"], verifier).json()
    claims = jwt.JWT(
        jwt=tokens["id_token"],
        key=jwk.JWKSet.from_json(Client().get("/o/.well-known/jwks.json").content),
    ).claims
    assert "locale" not in json.loads(claims)
    assert "name" not in json.loads(claims)


def test_a_wrong_code_verifier_is_refused(signed_in: Client) -> None:
    _verifier, challenge = pkce()
    code = get_code(signed_in, challenge)
    response = exchange(Client(), code, pkce()[0])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_wrong_client_secret_is_refused(signed_in: Client) -> None:
    verifier, challenge = pkce()
    response = exchange(Client(), get_code(signed_in, challenge), verifier, secret="guess")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_a_code_works_once(signed_in: Client) -> None:
    verifier, challenge = pkce()
    code = get_code(signed_in, challenge)
    assert exchange(Client(), code, verifier).status_code == 200
    assert exchange(Client(), code, verifier).status_code == 400


@pytest.mark.production_hashing
def test_the_client_secret_is_stored_hashed(db: None) -> None:
    from oauth2_provider.models import Application

    app = Application.objects.get(client_id="zhifu-wallet")
    assert app.client_secret != config().secret("oidc_client_secret").reveal()
    assert app.client_secret.startswith(("argon2", "pbkdf2_sha256$"))
    assert app.redirect_uris == redirect_uri()
    assert app.skip_authorization
    assert app.algorithm == "RS256"


def test_a_client_without_skip_authorization_gets_a_translated_consent_page(
    signed_in: Client,
) -> None:
    from oauth2_provider.models import Application

    Application.objects.create(
        client_id="other-shop-wallet",
        name="Other wallet",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        redirect_uris="https://wallet.example/cb",
        client_secret="other-secret",
        skip_authorization=False,
    )
    signed_in.cookies["zhifu_marketplace_lang"] = "ru"
    response = signed_in.get(
        authorize_url(
            client_id="other-shop-wallet",
            redirect_uri="https://wallet.example/cb",
            code_challenge=pkce()[1],
            code_challenge_method="S256",
        )
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Войти в Other wallet через аккаунт магазина?" in html
    assert "Ваш адрес электронной почты" in html
    assert "Разрешить" in html
