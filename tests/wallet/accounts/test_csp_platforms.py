"""The CSP's form-action follows the active platforms (issue 10): "Go to my wallet" posts to
/oidc/login/, which redirects to the platform's authorization endpoint, and the browser
checks that redirect against the page's form-action. Adding, disabling or moving a
platform changes the header without a restart."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.wallet.accounts.support import FakeProvider
from zhifu.accounts import csp
from zhifu.accounts.models import Platform

pytestmark = pytest.mark.django_db


def form_action(client: Client) -> list[str]:
    header = client.get("/")["Content-Security-Policy"]
    directive = next(d for d in header.split("; ") if d.startswith("form-action "))
    return directive.split()[1:]


def add(slug: str, issuer: str, endpoint: str = "") -> Platform:
    return Platform.objects.create(
        slug=slug, name=slug, issuer=issuer, client_id="w", authorization_endpoint=endpoint
    )


def test_adding_a_platform_allows_its_provider_without_a_restart(client: Client) -> None:
    assert "https://id.second.example" not in form_action(client)
    add("second", "https://id.second.example/realms/shop")
    assert "https://id.second.example" in form_action(client)


def test_an_authorization_endpoint_on_another_origin_is_allowed_too(client: Client) -> None:
    add("split", "https://issuer.example", "https://login.example:8443/authorize")
    origins = form_action(client)
    assert {"https://issuer.example", "https://login.example:8443"} <= set(origins)


def test_disabling_or_deleting_a_platform_takes_its_provider_out(client: Client) -> None:
    platform = add("gone", "https://gone.example/o")
    assert "https://gone.example" in form_action(client)
    platform.is_active = False
    platform.save()
    assert "https://gone.example" not in form_action(client)
    platform.is_active = True
    platform.save()
    assert "https://gone.example" in form_action(client)
    platform.delete()
    assert "https://gone.example" not in form_action(client)


def test_a_change_by_another_process_is_seen_within_the_refresh_time(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    form_action(client)  # cached now
    Platform.objects.bulk_create(  # no signal: as if `zhifu platform add` had run elsewhere
        [Platform(slug="elsewhere", name="x", issuer="https://elsewhere.example", client_id="w")]
    )
    now = csp.time.monotonic()
    monkeypatch.setattr(csp.time, "monotonic", lambda: now + csp.REFRESH_S)
    assert "https://elsewhere.example" in form_action(client)


def test_nothing_but_an_origin_reaches_the_header(client: Client) -> None:
    add("odd", "https://odd.example/o;script-src *")
    add("odd2", "javascript:alert(1)")
    header = client.get("/")["Content-Security-Policy"]
    assert "script-src *" not in header
    assert "javascript" not in header
    assert "https://odd.example" in form_action(client)


def test_a_sign_in_records_where_the_provider_authorizes(
    client: Client, platform: Platform, provider: FakeProvider
) -> None:
    client.post("/oidc/login/", {"platform": "shop"})
    platform.refresh_from_db()
    assert platform.authorization_endpoint == "https://shop.test/o/authorize/"
