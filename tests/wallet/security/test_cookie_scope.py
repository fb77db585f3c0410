"""Issue 9 finding 5: cookies crossed sites that share a host (browsers ignore ports).

The wallet answers only its own host, names its cookies __Host- when they are Secure, and
keeps flash messages in its own session, never in a cookie another site could read.
"""

from __future__ import annotations

import pytest
from django.contrib.messages import INFO
from django.contrib.messages.storage import default_storage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings

from tests.harness.cookies import not_host_prefixed, secure_cookie_settings
from tests.wallet.accounts.support import new_buyer, sign_in
from zhifu.config.base import cookie_names
from zhifu.config.site import config

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8001", "127.0.0.2:8002", "127.0.0.1:8000", "evil.example"]
)
def test_a_request_with_a_foreign_host_is_refused(client: Client, host: str) -> None:
    assert client.get("/healthz", HTTP_HOST=host).status_code == 400


def test_the_wallet_answers_its_own_host(client: Client) -> None:
    own = config().urls["wallet"].split("://", 1)[1]
    assert client.get("/healthz", HTTP_HOST=own).status_code == 200


def test_secure_cookies_are_host_prefixed_with_path_root_and_no_domain(client: Client) -> None:
    with override_settings(**secure_cookie_settings("wallet")):
        responses = [client.get("/", secure=True)]
        sign_in(client, new_buyer("anna@example.com"))
        responses += [client.get("/account/", secure=True), client.post("/logout/", secure=True)]
    names = {name for r in responses for name in r.cookies}
    assert {"__Host-zhifu-wallet-session", "__Host-zhifu-wallet-csrf"} <= names
    assert not_host_prefixed(r.cookies for r in responses) == []


def test_flash_messages_stay_in_the_wallet_session() -> None:
    request = RequestFactory().get("/")
    request.session = SessionStore()
    storage = default_storage(request)
    storage.add(INFO, "Your payment password was changed.")
    response = HttpResponse()
    storage.update(response)
    assert not response.cookies  # no "messages" cookie for another site on the host to read
    assert request.session.modified
    assert [m.message for m in default_storage(request)] == ["Your payment password was changed."]


def test_forms_may_post_only_to_the_configured_sites(client: Client) -> None:
    csp = client.get("/healthz")["Content-Security-Policy"]
    form_action = next(d for d in csp.split("; ") if d.startswith("form-action "))
    urls = config().urls
    assert form_action.split()[1:] == ["'self'", *sorted(set(urls.values()))]
    assert "http://127.0.0.2:8002" in form_action  # cardnet's own host, as configured


@pytest.mark.parametrize("secure", [True, False])
def test_no_two_sites_share_a_cookie_name(secure: bool) -> None:
    names = [
        n
        for site in ("wallet", "marketplace", "cardnet")
        for n in cookie_names(site, secure).values()
    ]
    assert len(names) == len(set(names)) == 9
