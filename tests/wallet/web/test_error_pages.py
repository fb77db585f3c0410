"""The wallet's error pages: each status, in each language, in the wallet's layout (issue
14, P3); the merchant API keeps its JSON envelope."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.harness.error_pages import ErrorPageChecks, failing_urls
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
