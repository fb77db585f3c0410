"""The shop as an OpenID Connect provider (django-oauth-toolkit).

Contract with relying parties (the zhifu wallet first):
- issuer: "<marketplace URL>/o" (OIDC_ISS_ENDPOINT), the same in the discovery document,
  every id_token's "iss" and the RFC 9207 "iss" authorization-response parameter;
- authorization-code flow only, PKCE with S256 required, RS256-signed id_tokens;
- claims: sub (Buyer.public_id, random and stable, never the e-mail or the pk), email,
  email_verified (False: the shop does not verify addresses; the wallet confirms the
  address itself), name, locale ("ru" or "en"). email/email_verified need the "email"
  scope, name/locale the "profile" scope;
- no refresh tokens: a relying party signs a buyer in once with the id_token and keeps its
  own session, so a refresh token would be a long-lived credential nobody uses;
- prompt=none (OpenID Connect Core 3.1.2.6): login_required when no buyer is signed in,
  consent_required when the client would need the consent page, else a code at once.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from oauth2_provider.exceptions import InvalidOIDCClientError
from oauth2_provider.models import clear_expired, get_application_model
from oauth2_provider.oauth2_backends import OAuthLibCore
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.scopes import SettingsScopes
from oauth2_provider.views import ConnectDiscoveryInfoView, RPInitiatedLogoutView

CLAIMS = ("sub", "email", "email_verified", "name", "locale")


SCOPES = {
    "openid": _("Sign you in with your shop account"),
    "email": _("Your e-mail address"),
    "profile": _("Your name and language"),
}


class ShopScopes(SettingsScopes):
    """The scopes of settings.OAUTH2_PROVIDER, described in the buyer's language."""

    def get_all_scopes(self) -> dict[str, Any]:
        return dict(SCOPES)


# Carries the signed-in buyer's pk from the Django request to the validator. Not an HTTP_*
# key, so no client can send it; extract_headers sets or removes it on every request.
SESSION_USER = "ZHIFU_SESSION_USER_PK"


class ShopOAuthLibCore(OAuthLibCore):
    """DOT's bridge to oauthlib, telling the validator who is signed in (for prompt=none)."""

    def extract_headers(self, request: HttpRequest) -> dict[str, Any]:
        headers: dict[str, Any] = super().extract_headers(request)
        headers.pop(SESSION_USER, None)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            headers[SESSION_USER] = str(user.pk)
        return headers


# Expired codes and tokens are deleted as buyers sign in, at most once an hour per cache
# (what `zhifu manage marketplace cleartokens` does; a cron entry can run that instead).
CLEAR_EXPIRED_KEY = "oidc:clear-expired"
CLEAR_EXPIRED_EVERY_S = 3600


def clear_expired_now_and_then() -> None:
    if cache.add(CLEAR_EXPIRED_KEY, True, timeout=CLEAR_EXPIRED_EVERY_S):
        clear_expired()


class ShopOIDCValidator(OAuth2Validator):
    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        token.pop("refresh_token", None)  # neither stored nor sent
        saved = super().save_bearer_token(token, request, *args, **kwargs)
        clear_expired_now_and_then()
        return saved

    def validate_silent_login(self, request: Any) -> bool:
        return bool(request.headers.get(SESSION_USER))

    def validate_silent_authorization(self, request: Any) -> bool:
        """Only clients that skip the consent page sign in silently: the shop keeps no
        record of consent given, so any other client needs the page (consent_required)."""
        client = getattr(request, "client", None)
        return bool(client is not None and client.skip_authorization)

    def get_claim_dict(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {"sub": user.public_id, **self.get_additional_claims(request)}

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        return {
            "email": user.email,
            "email_verified": False,
            "name": user.name,
            "locale": user.locale,
        }

    def get_discovery_claims(self, request: Any) -> list[str]:
        return list(CLAIMS)


class DiscoveryView(ConnectDiscoveryInfoView):
    """DOT's discovery document, saying only what the shop supports: RS256 alone (DOT lists
    HS256 too, which no client is registered for), the code grant (no refresh tokens are
    issued), query responses carrying ``iss`` (RFC 9207), and the revocation endpoint
    (RFC 7009); the claims in a stable order."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["claims_supported"] = list(CLAIMS)
        data["id_token_signing_alg_values_supported"] = ["RS256"]
        data["grant_types_supported"] = ["authorization_code"]
        data["response_modes_supported"] = ["query"]
        data["revocation_endpoint"] = self._get_endpoint_url(request, "revoke-token", True)
        data["revocation_endpoint_auth_methods_supported"] = data[
            "token_endpoint_auth_methods_supported"
        ]
        response.content = json.dumps(data).encode()
        return response


class ShopLogoutView(RPInitiatedLogoutView):
    """DOT's RP-initiated logout (the wallet's "Log out of the shop too"), with an unknown
    ``client_id`` refused as a bad request: DOT lets ``DoesNotExist`` become a 500."""

    def get_request_application(self, id_token: Any, client_id: str | None) -> Any:
        try:
            return super().get_request_application(id_token, client_id)
        except get_application_model().DoesNotExist:
            raise InvalidOIDCClientError() from None
