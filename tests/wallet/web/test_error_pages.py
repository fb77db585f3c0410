"""The wallet's error pages: each status, in each language, in the wallet's layout (issue
14, P3); the merchant API keeps its JSON envelope."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.harness.error_pages import ErrorPageChecks, failing_urls
from tests.wallet.accounts.support import ISSUER, registered_buyer, sign_in
from zhifu.accounts.models import Platform
from zhifu.config.urls.wallet import *  # noqa: F403
from zhifu.config.urls.wallet import urlpatterns as site_urlpatterns

urlpatterns = failing_urls(site_urlpatterns)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class TestErrorPages(ErrorPageChecks):
    layout = "accounts/wallet.css"
    post_only = "/logout/"
    form_url = "/logout/"


def test_the_api_keeps_its_json_404_and_405() -> None:
    client = Client()
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing["Content-Type"].startswith("application/json")
    not_allowed = client.delete("/api/v1/payments")
    assert not_allowed.status_code == 405
    assert not_allowed["Content-Type"].startswith("application/json")


def test_a_signed_in_buyers_way_back_is_the_account() -> None:
    platform = Platform.objects.create(slug="shop", name="Shop", issuer=ISSUER, client_id="w")
    client = Client()
    sign_in(client, registered_buyer(), platform)
    html = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert '<a href="/" role="button">Перейти к моему счёту</a>' in html
    assert 'class="container wallet-nav"' in html  # and the wallet's menu
