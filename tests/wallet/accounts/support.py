"""Shared fixtures for the wallet's onboarding tests: a fake OpenID provider, users."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from zhifu.accounts import oidc
from zhifu.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from zhifu.accounts.models import Platform, User
from zhifu.accounts.services import remember_platform
from zhifu.credentials import services as credentials
from zhifu.credentials.domain import QuestionChoice
from zhifu.kernel import clock, http

ISSUER = "https://shop.test/o"
CLIENT_ID = "zhifu-wallet"
# Has the characters RFC 6749 §2.3.1 makes a client form-urlencode before HTTP Basic.
CLIENT_SECRET = "s3cr+t/with=padding%and:colon"  # pragma: allowlist secret
GOOD_PIN = "583920"
GOOD_CHOICES = [
    QuestionChoice("first_pet", "Barsik"),
    QuestionChoice("birth_city", "Novosibirsk"),
    QuestionChoice("favourite_book", "Master and Margarita"),
]


@functools.cache
def session_key() -> rsa.RSAPrivateKey:
    """One RSA key for the session's fake providers: a key costs ~50 ms to generate, and the
    wallet fetches each issuer's keys anew (the tests clear its discovery cache)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeProvider:
    """An OpenID provider in memory: discovery, JWKS, token endpoint, userinfo.

    ``tamper`` changes what the next id_token looks like, to test the checks.
    """

    def __init__(self, issuer: str = ISSUER, secret: str = "") -> None:
        self.issuer = issuer
        self.secret = secret
        self.key = session_key()
        self.kid = "k1"
        self.codes: dict[str, dict[str, Any]] = {}
        self.claims: dict[str, Any] = {
            "sub": "buyer-1",
            "email": "anna@example.com",
            "email_verified": False,
            "name": "Anna",
            "locale": "ru",
        }
        self.tamper: dict[str, Any] = {}
        # RP-initiated logout: None for a provider without it.
        self.end_session_endpoint: str | None = f"{issuer}/logout/"

    # The provider's HTTP side, as a kernel.http MockTransport handler.
    def handle(self, request: http.Request) -> http.Response:
        try:
            if request.method == "GET":
                auth = request.header("authorization")
                return http.Response.json_of(
                    200, self.get_json(request.url, {"Authorization": auth})
                )
            basic = base64.b64decode(request.header("authorization").removeprefix("Basic "))
            client_id, _, secret = (unquote_plus(part) for part in basic.decode().partition(":"))
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            return http.Response.json_of(
                200, self.post_form(request.url, form, (client_id, secret))
            )
        except oidc.LoginError:
            return http.Response.json_of(400, {"error": "invalid_grant"})

    def get_json(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        if url == f"{self.issuer}/.well-known/openid-configuration":
            return {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize/",
                "token_endpoint": f"{self.issuer}/token/",
                "jwks_uri": f"{self.issuer}/.well-known/jwks.json",
                "userinfo_endpoint": f"{self.issuer}/userinfo/",
                **(
                    {"end_session_endpoint": self.end_session_endpoint}
                    if self.end_session_endpoint
                    else {}
                ),
            }
        if url.endswith("/.well-known/jwks.json"):
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}
        if url.endswith("/userinfo/"):
            return dict(self.claims)
        raise AssertionError(f"unexpected GET {url}")

    def post_form(self, url: str, data: dict[str, str], auth: tuple[str, str]) -> dict[str, Any]:
        assert url == f"{self.issuer}/token/"
        if auth != (CLIENT_ID, self.secret):
            raise oidc.LoginError("token_refused")
        grant = self.codes.pop(data["code"], None)
        if grant is None:  # unknown or reused code
            raise oidc.LoginError("token_refused")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(data["code_verifier"].encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if challenge != grant["code_challenge"] or data["redirect_uri"] != grant["redirect_uri"]:
            raise oidc.LoginError("token_refused")
        return {"access_token": "at-" + secrets.token_hex(8), "id_token": self.id_token(grant)}

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **self.claims,
        }
        payload.update(self.tamper.get("claims", {}))
        alg = self.tamper.get("alg", "RS256")
        if alg == "none":
            return jwt.encode(payload, None, algorithm="none")
        if alg == "HS256":
            # The classic confusion attack: HMAC keyed with the provider's public key.
            pem = self.key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            header = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
            signing_input = b".".join(
                base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")
                for part in (header, payload)
            )
            mac = hmac.new(pem, signing_input, hashlib.sha256).digest()
            return (signing_input + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
        key = self.tamper.get("key", self.key)
        return jwt.encode(payload, key, algorithm="RS256", headers={"kid": self.kid})

    # The browser's visit to the authorization endpoint: returns the callback query.
    def authorize(self, url: str) -> dict[str, str]:
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.codes[code] = params
        return {"code": code, "state": params["state"]}


def platform_secret(monkeypatch: pytest.MonkeyPatch, slug: str, value: str) -> None:
    """Give the platform ``slug`` its client secret, as an operator does (the variable)."""
    from zhifu.config.secrets import platform_secret_variable

    monkeypatch.setenv(platform_secret_variable(slug), value)


@pytest.fixture
def provider(settings: Any) -> Iterator[FakeProvider]:
    fake = FakeProvider(secret=CLIENT_SECRET)
    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(fake.handle)
    oidc._discovery_cache.clear()
    yield fake
    oidc._discovery_cache.clear()


@pytest.fixture
def platform(db: Any, monkeypatch: pytest.MonkeyPatch) -> Platform:
    platform_secret(monkeypatch, "shop", CLIENT_SECRET)
    return Platform.objects.create(
        slug="shop", name="Test shop", issuer=ISSUER, client_id=CLIENT_ID
    )


def sso(client: Client, provider: FakeProvider, next_path: str = "") -> Any:
    """Press "Go to my wallet" and come back from the provider; return the callback."""
    resp = client.post("/oidc/login/", {"platform": "shop", "next": next_path})
    assert resp.status_code == 302, resp.content
    query = provider.authorize(resp["Location"])
    return client.get("/oidc/callback/", query)


def sign_in(client: Client, user: User, platform: Platform | None = None) -> None:
    """A signed-in session as the SSO callback leaves it (without the round trip)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    now = clock.now().timestamp()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    if platform:
        remember_platform(session, platform)
    session.save()


def new_buyer(email: str | None = None, locale: str = "en") -> User:
    user = User(email=None, locale=locale)
    user.set_unusable_password()
    user.save()
    if email:
        user.email = email
        user.email_confirmed_at = clock.now()
        user.save()
    return user


def registered_buyer(email: str = "reg@example.com", locale: str = "en") -> User:
    user = new_buyer(email, locale)
    credentials.register_credentials(user, GOOD_PIN, GOOD_CHOICES)
    return user


class _RunNow:
    """Test transactions never commit, so on_commit callbacks would never run."""

    @staticmethod
    def on_commit(fn: Any, using: Any = None, robust: bool = False) -> None:
        fn()


@pytest.fixture(autouse=True)
def _send_on_commit_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhifu.notifications import services as notifications

    monkeypatch.setattr(notifications, "transaction", _RunNow)
