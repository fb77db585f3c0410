"""Issue 9 finding 5: cookies crossed sites that share a host (browsers ignore ports).

A page on another port of the shop's host planted the attacker's shop session in a victim's
browser. The shop now answers only its own host, names its cookies __Host- when they are
Secure, and keeps flash messages in its session, never in a shared "messages" cookie.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.harness.cookies import not_host_prefixed, secure_cookie_settings
from zhifu.config.site import config


@pytest.mark.parametrize(
    "host", ["localhost:8000", "127.0.0.2:8002", "127.0.0.3:8003", "evil.example"]
)
def test_a_request_with_a_foreign_host_is_refused(client: Client, host: str) -> None:
    assert client.get("/healthz", HTTP_HOST=host).status_code == 400


def test_the_shop_answers_its_own_host(client: Client, db: None) -> None:
    own = config().urls["marketplace"].split("://", 1)[1]
    assert client.get("/healthz", HTTP_HOST=own).status_code == 200


def test_secure_cookies_are_host_prefixed_with_path_root_and_no_domain(
    client: Client, catalogue: None
) -> None:
    with override_settings(**secure_cookie_settings("marketplace")):
        responses = [
            client.get("/", secure=True),
            client.post("/i18n/setlang/", {"language": "ru", "next": "/"}, secure=True),
            client.post("/products/ceramic-mug/add/", {"quantity": 1}, secure=True),
        ]
    names = {name for r in responses for name in r.cookies}
    assert {
        "__Host-zhifu-marketplace-session",
        "__Host-zhifu-marketplace-csrf",
        "__Host-zhifu-marketplace-lang",
    } <= names
    assert not_host_prefixed(r.cookies for r in responses) == []


def test_flash_messages_stay_in_the_shop_session(client: Client, catalogue: None) -> None:
    added = client.post("/products/ceramic-mug/add/", {"quantity": 1})
    assert added.status_code == 302
    assert "messages" not in added.cookies
    assert set(added.cookies) <= {"zhifu_marketplace_session", "zhifu_marketplace_csrf"}
    assert "was added to your cart" in client.get("/cart/").content.decode()
