"""cardnet's error pages: each status, in each language, in cardnet's layout (issue 14, P3)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.harness.error_pages import LANGUAGES, ErrorPageChecks, assert_error_page, failing_urls
from zhifu.config.urls.cardnet import *  # noqa: F403
from zhifu.config.urls.cardnet import urlpatterns as site_urlpatterns

urlpatterns = failing_urls(site_urlpatterns)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class TestErrorPages(ErrorPageChecks):
    layout = 'class="site-cardnet"'
    post_only = "/healthz"  # GET only: a POST answers 405
    form_url = "/challenge/anything/"

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_405_is_a_page_and_keeps_allow(self, browser: Client, language: str) -> None:
        response = browser.post(self.post_only, HTTP_ACCEPT_LANGUAGE=language)
        assert_error_page(response, 405, language, layout_marker=self.layout)
        assert response["Allow"] == "GET"

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_unknown_challenge_is_the_404_page(self, browser: Client, language: str) -> None:
        response = browser.get("/challenge/not-a-token/", HTTP_ACCEPT_LANGUAGE=language)
        assert_error_page(response, 404, language, layout_marker=self.layout)


def test_the_api_keeps_its_json_405() -> None:
    response = Client().get("/api/v1/verifications")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
