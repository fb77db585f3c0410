"""The SSO sequence as a use case: begin_sso / complete_sso, without the views."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from tests.wallet.accounts.support import FakeProvider, registered_buyer, sign_in
from zhifu.accounts import services
from zhifu.accounts.errors import AccountsCode
from zhifu.accounts.models import Platform

pytestmark = pytest.mark.django_db


def _come_back(provider: FakeProvider, session: Any, next_path: str | None = None) -> Any:
    url = services.begin_sso(session, "shop", next_path)
    return provider.authorize(url)


def test_complete_sso_signs_the_buyer_in_and_keeps_a_safe_next(
    platform: Platform, provider: FakeProvider
) -> None:
    session = SessionStore()
    query = _come_back(provider, session, "/cards/")
    done = services.complete_sso(session, query["state"], query["code"], None)
    assert done.platform == platform
    assert done.next_path == "/cards/"
    assert done.user.identities.get().subject == "buyer-1"


def test_an_unsafe_next_is_dropped(platform: Platform, provider: FakeProvider) -> None:
    session = SessionStore()
    query = _come_back(provider, session, "https://evil.example/")
    assert services.complete_sso(session, query["state"], query["code"], None).next_path is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": "forged"}, "unknown_state"),
        ({"state": None}, "missing_state"),
        ({"error": "access_denied"}, "provider_error"),
        ({"code": None}, "missing_code"),
    ],
)
def test_each_refused_step_says_why(
    platform: Platform, provider: FakeProvider, change: dict[str, Any], reason: str
) -> None:
    session = SessionStore()
    query = {**_come_back(provider, session), "error": None, **change}
    with pytest.raises(services.SignInFailed) as refused:
        services.complete_sso(session, query["state"], query["code"], query["error"])
    assert refused.value.reason == reason
    assert refused.value.code == AccountsCode.SIGN_IN_FAILED


def test_an_unknown_platform_is_refused_before_the_provider_is_asked(
    platform: Platform, provider: FakeProvider
) -> None:
    with pytest.raises(services.SignInFailed) as refused:
        services.begin_sso(SessionStore(), "nosuchshop", None)
    assert refused.value.reason == "unknown_platform"


def test_an_inactive_wallet_user_is_refused(platform: Platform, provider: FakeProvider) -> None:
    session = SessionStore()
    query = _come_back(provider, session)
    services.complete_sso(
        session, query["state"], query["code"], None
    ).user.__class__.objects.update(is_active=False)
    query = _come_back(provider, session)
    with pytest.raises(services.AccountInactive) as refused:
        services.complete_sso(session, query["state"], query["code"], None)
    assert refused.value.status == 403


def test_the_platform_of_the_session_is_remembered(platform: Platform) -> None:
    session = SessionStore()
    assert services.platform_for_session(session) is None
    services.remember_platform(session, platform)
    assert services.platform_for_session(session) == platform
    assert services.active_platforms() == [platform]


def test_signed_out_visitors_of_the_security_pages_are_sent_to_sign_in(
    client: Client, platform: Platform
) -> None:
    for path in ("/account/payment-password/", "/account/security-questions/"):
        resp = client.get(path)
        assert resp.status_code == 302
        assert resp["Location"] == f"/?next={path}"
        assert "Go to my wallet" in client.get(resp["Location"]).content.decode()
    sign_in(client, registered_buyer(), platform)
    assert client.get("/account/payment-password/").status_code == 200
