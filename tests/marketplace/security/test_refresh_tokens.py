"""Hardening finding: a wallet sign-in leaves no refresh token at the shop, and expired
codes and tokens do not pile up."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from oauth2_provider.models import AccessToken, Application, Grant, IDToken, RefreshToken

from tests.marketplace.test_oidc import exchange, get_code, pkce
from zhifu.marketplace.models import Buyer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wallet_client")]

START = dt.datetime(2031, 1, 6, 9, 0, tzinfo=dt.UTC)


def sign_in(client: Client) -> dict[str, object]:
    verifier, challenge = pkce()
    response = exchange(Client(), get_code(client, challenge), verifier)
    assert response.status_code == 200, response.content
    tokens: dict[str, object] = response.json()
    return tokens


def stale_tokens(buyer: Buyer) -> None:
    """What a sign-in left behind before: a used code, an access and an id token, and a
    refresh token that nobody ever used."""
    app = Application.objects.get(client_id="zhifu-wallet")
    soon = START + dt.timedelta(minutes=10)
    Grant.objects.create(
        user=buyer, application=app, code="old-code", expires=START, redirect_uri="x"
    )
    id_token = IDToken.objects.create(user=buyer, application=app, expires=soon)
    access = AccessToken.objects.create(
        user=buyer, application=app, token="old-at", expires=soon, id_token=id_token
    )
    RefreshToken.objects.create(user=buyer, application=app, token="old-rt", access_token=access)


def test_refresh_tokens_none_at_a_wallet_sign_in(signed_in: Client) -> None:
    tokens = sign_in(signed_in)
    assert "refresh_token" not in tokens
    assert tokens["id_token"]
    assert RefreshToken.objects.count() == 0


def test_refresh_tokens_expired_ones_are_cleared_by_cleartokens(buyer: Buyer) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        stale_tokens(buyer)
        traveller.shift(dt.timedelta(days=2))
        call_command("cleartokens")
    assert RefreshToken.objects.count() == 0
    assert AccessToken.objects.count() == 0
    assert IDToken.objects.count() == 0
    assert Grant.objects.count() == 0


def test_refresh_tokens_expired_ones_are_cleared_as_buyers_sign_in(
    client: Client, buyer: Buyer
) -> None:
    cache.clear()
    with time_machine.travel(START, tick=False) as traveller:
        stale_tokens(buyer)
        traveller.shift(dt.timedelta(days=2))
        client.force_login(buyer, backend="django.contrib.auth.backends.ModelBackend")
        sign_in(client)
    assert not RefreshToken.objects.exists()
    assert not Grant.objects.filter(code="old-code").exists()
    assert not AccessToken.objects.filter(token="old-at").exists()
    assert AccessToken.objects.count() == 1  # the one just issued
