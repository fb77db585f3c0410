"""Hardening finding: `prompt=none` at the shop's authorization endpoint answers as OpenID
Connect Core 3.1.2.6 says (login_required, consent_required, or a silent code), never 500."""

from __future__ import annotations

import pytest
from django.test import Client
from oauth2_provider.models import Application

from tests.marketplace.test_oidc import authorize_url, pkce, query, redirect_uri

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wallet_client")]


def silent(client: Client, **overrides: str) -> dict[str, str]:
    params = {"prompt": "none", "code_challenge": pkce()[1], "code_challenge_method": "S256"}
    url = authorize_url(**{**params, **overrides})
    response = client.get(url)
    assert response.status_code == 302, response.content
    return {"location": response["Location"], **query(response["Location"])}


def test_silent_login_signed_out_answers_login_required(client: Client) -> None:
    answer = silent(client)
    assert answer["location"].startswith(redirect_uri() + "?")
    assert answer["error"] == "login_required"
    assert answer["state"] == "state-123"
    assert "code" not in answer


def test_silent_login_signed_in_gives_a_code_to_a_first_party_client(signed_in: Client) -> None:
    answer = silent(signed_in)
    assert answer["location"].startswith(redirect_uri() + "?")
    assert answer["code"]
    assert answer["state"] == "state-123"
    assert "error" not in answer


def test_silent_login_signed_in_without_consent_answers_consent_required(
    signed_in: Client,
) -> None:
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
    answer = silent(
        signed_in, client_id="other-shop-wallet", redirect_uri="https://wallet.example/cb"
    )
    assert answer["location"].startswith("https://wallet.example/cb?")
    assert answer["error"] == "consent_required"
    assert answer["state"] == "state-123"
    assert "code" not in answer


def test_silent_login_with_other_prompt_values_is_an_invalid_request(signed_in: Client) -> None:
    answer = silent(signed_in, prompt="none consent")
    assert answer["error"] == "invalid_request"
