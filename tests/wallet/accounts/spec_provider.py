"""An OpenID provider written from the specifications, not from django-oauth-toolkit.

Stricter than ``support.FakeProvider``, it stands in for an independent certified provider:

- discovery as OpenID Connect Discovery 1.0 §3 (with RFC 8414's and RFC 9207's metadata);
- the authorization endpoint requires response_type=code, a registered redirect_uri, the
  openid scope, a nonce and PKCE S256, and answers with ``code``, ``state`` and ``iss``
  (RFC 9207 §2);
- the token endpoint takes a form body only and authenticates the client by exactly the
  method it was registered with: ``client_secret_basic`` decodes id and secret as RFC 6749
  §2.3.1 says (form-urlencoded inside Basic), ``client_secret_post`` reads them from the
  body; a request using two methods is refused (RFC 6749 §2.3);
- codes are single use and bound to the redirect_uri and the PKCE challenge (RFC 7636 §4.6).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, unquote_plus, urlsplit

import jwt

from tests.wallet.accounts.support import session_key
from zhifu.kernel import http


class SpecProvider:
    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        auth_method: str = "client_secret_basic",
        sends_iss: bool = True,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.auth_method = auth_method
        self.sends_iss = sends_iss
        self.key = session_key()
        self.kid = "spec-1"
        self.codes: dict[str, dict[str, str]] = {}
        self.token_requests = 0
        self.claims: dict[str, Any] = {"sub": "c0ffee", "email": "ivan@example.net"}

    # --- the provider's HTTP side (a kernel.http MockTransport handler) ---

    def handle(self, request: http.Request) -> http.Response:
        path = urlsplit(request.url).path
        base = urlsplit(self.issuer).path
        if request.method == "GET" and path == f"{base}/.well-known/openid-configuration":
            return http.Response.json_of(200, self.discovery())
        if request.method == "GET" and path == f"{base}/jwks":
            jwk = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return http.Response.json_of(200, {"keys": [{**jwk, "kid": self.kid, "use": "sig"}]})
        if request.method == "POST" and path == f"{base}/token":
            return self.token(request)
        return http.Response.json_of(404, {"error": "not_found"})

    def discovery(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/auth",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [self.auth_method],
            "scopes_supported": ["openid", "email", "profile"],
            "claims_supported": ["sub", "email", "email_verified", "name", "locale"],
        }
        if self.sends_iss:
            doc["authorization_response_iss_parameter_supported"] = True
        return doc

    def _client_credentials(self, request: http.Request, form: dict[str, str]) -> tuple[str, str]:
        header = request.header("authorization")
        in_body = "client_secret" in form
        if header and in_body:
            raise PermissionError("two client authentication methods")
        if self.auth_method == "client_secret_basic":
            if not header.startswith("Basic "):
                raise PermissionError("client_secret_basic expected")
            raw = base64.b64decode(header.removeprefix("Basic ")).decode("ascii")
            client_id, sep, secret = raw.partition(":")
            if not sep:
                raise PermissionError("malformed Basic credentials")
            return unquote_plus(client_id), unquote_plus(secret)
        if header or not in_body:
            raise PermissionError("client_secret_post expected")
        return form.get("client_id", ""), form["client_secret"]

    def token(self, request: http.Request) -> http.Response:
        self.token_requests += 1
        if not request.header("content-type").startswith("application/x-www-form-urlencoded"):
            return http.Response.json_of(400, {"error": "invalid_request"})
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        try:
            credentials = self._client_credentials(request, form)
        except PermissionError:
            return http.Response.json_of(401, {"error": "invalid_client"})
        if credentials != (self.client_id, self.client_secret):
            return http.Response.json_of(401, {"error": "invalid_client"})
        grant = self.codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            form.get("grant_type") != "authorization_code"
            or grant is None
            or form.get("redirect_uri") != grant["redirect_uri"]
            or challenge != grant["code_challenge"]
        ):
            return http.Response.json_of(400, {"error": "invalid_grant"})
        now = int(time.time())
        id_token = jwt.encode(
            {
                "iss": self.issuer,
                "aud": self.client_id,
                "iat": now,
                "exp": now + 300,
                "nonce": grant["nonce"],
                **self.claims,
            },
            self.key,
            algorithm="RS256",
            headers={"kid": self.kid},
        )
        return http.Response.json_of(
            200,
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": id_token,
            },
        )

    # --- the browser's visit to the authorization endpoint: the callback's query ---

    def authorize(self, url: str) -> dict[str, str]:
        assert url.startswith(f"{self.issuer}/auth?"), url
        params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        assert params["response_type"] == "code"
        assert params["client_id"] == self.client_id
        assert params["redirect_uri"] == self.redirect_uri
        assert "openid" in params["scope"].split()
        assert params["nonce"]
        assert params["code_challenge_method"] == "S256"
        assert len(params["code_challenge"]) == 43
        code = secrets.token_urlsafe(24)
        self.codes[code] = params
        answer = {"code": code, "state": params["state"]}
        if self.sends_iss:
            answer["iss"] = self.issuer
        return answer
