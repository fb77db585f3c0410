"""The shop's RP-initiated logout (/o/logout/), which the wallet's "Log out of the shop too"
opens: asked first, and back only to a post_logout_redirect_uri registered for the client."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from zhifu.config.site import config

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("wallet_client")]


def logout_url(**overrides: str) -> str:
    params = {
        "client_id": "zhifu-wallet",
        "post_logout_redirect_uri": f"{config().urls['wallet']}/",
        "state": "st-1",
        **overrides,
    }
    return "/o/logout/?" + urlencode(params)


def signed_in_to_shop(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_discovery_names_the_end_session_endpoint(client: Client) -> None:
    doc = client.get("/o/.well-known/openid-configuration").json()
    assert doc["end_session_endpoint"] == f"{config().urls['marketplace']}/o/logout/"


def test_the_shop_asks_first_in_its_own_layout_and_language(signed_in: Client) -> None:
    response = signed_in.get(logout_url(), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Выйти и из магазина?" in html
    assert 'class="cart-link"' in html  # the shop's header
    assert signed_in_to_shop(signed_in)  # a link alone signs nobody out


def test_confirming_logs_out_and_returns_to_the_wallet_with_the_state(
    signed_in: Client,
) -> None:
    form = {
        "client_id": "zhifu-wallet",
        "post_logout_redirect_uri": f"{config().urls['wallet']}/",
        "state": "st-1",
        "allow": "1",
    }
    response = signed_in.post("/o/logout/", form)
    assert response.status_code == 302
    assert response["Location"] == f"{config().urls['wallet']}/?state=st-1"
    assert not signed_in_to_shop(signed_in)


def test_staying_keeps_the_shop_session(signed_in: Client) -> None:
    form = {"client_id": "zhifu-wallet", "post_logout_redirect_uri": f"{config().urls['wallet']}/"}
    response = signed_in.post("/o/logout/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert "You are still logged in to the shop" in response.content.decode()
    assert signed_in_to_shop(signed_in)


@pytest.mark.parametrize(
    "uri", ["https://evil.example/", "http://127.0.0.1:1/", "javascript:alert(1)"]
)
def test_an_unregistered_return_address_is_refused(signed_in: Client, uri: str) -> None:
    response = signed_in.get(logout_url(post_logout_redirect_uri=uri), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This sign-out request cannot be completed" in response.content.decode()
    assert "Location" not in response
    assert signed_in_to_shop(signed_in)


def test_an_unknown_client_is_refused(signed_in: Client) -> None:
    response = signed_in.get(logout_url(client_id="nobody"))
    assert response.status_code == 400
    assert signed_in_to_shop(signed_in)
