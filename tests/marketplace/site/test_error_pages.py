"""The shop's error pages (the zhifu shop and Bazaar are the same code): each status, in
each language, in the shop's layout with its menu (issue 14, P3)."""

from __future__ import annotations

import pytest

from tests.harness.error_pages import ErrorPageChecks, failing_urls
from zhifu.config.urls.marketplace import *  # noqa: F403
from zhifu.config.urls.marketplace import urlpatterns as site_urlpatterns

urlpatterns = failing_urls(site_urlpatterns)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class TestErrorPages(ErrorPageChecks):
    layout = 'class="cart-link"'
    post_only = "/checkout/"
    form_url = "/logout/"
