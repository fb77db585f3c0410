"""Every state-changing form of the onboarding refuses a POST without the CSRF token
(docs/security.md SEC-23), and state never changes through GET."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.wallet.accounts.support import new_buyer, registered_buyer, sign_in
from zhifu.accounts.models import Platform
from zhifu.accounts.services import send_confirmation

pytestmark = pytest.mark.django_db

POSTS = [
    "/oidc/login/",
    "/logout/",
    "/confirm-email/",
    "/confirm-email/TOKEN/",
    "/account/payment-password/",
    "/account/security-questions/",
]


@pytest.mark.parametrize("path", POSTS)
def test_post_without_csrf_token_is_refused(path: str, platform: Platform) -> None:
    client = Client(enforce_csrf_checks=True)
    user = registered_buyer() if path.startswith("/account/") else new_buyer()
    sign_in(client, user, platform)
    if "TOKEN" in path:
        send_confirmation(user, "x@example.com")
    assert client.post(path.replace("TOKEN", "A" * 43), {}).status_code == 403


@pytest.mark.parametrize("path", ["/oidc/login/", "/logout/"])
def test_actions_refuse_get(client: Client, platform: Platform, path: str) -> None:
    assert client.get(path).status_code == 405


@pytest.mark.parametrize("path", ["/account/", "/registered/", "/"])
def test_pages_refuse_post(client: Client, platform: Platform, path: str) -> None:
    sign_in(client, registered_buyer(), platform)
    assert client.post(path).status_code == 405
