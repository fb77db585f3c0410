"""The OIDC client's HTTP goes through the kernel transport: configured, guarded, injectable."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.wallet.accounts.support import ISSUER, FakeProvider
from zhifu.accounts import oidc
from zhifu.config.site import config
from zhifu.kernel import http


@pytest.fixture(autouse=True)
def _fresh_discovery() -> Any:
    oidc._discovery_cache.clear()
    yield
    oidc._discovery_cache.clear()


def test_a_transport_passed_as_an_argument_is_used() -> None:
    provider = FakeProvider()
    transport = http.MockTransport(provider.handle)
    doc = oidc.discover(ISSUER, transport=transport)
    assert doc["token_endpoint"] == f"{ISSUER}/token/"
    assert [r.url for r in transport.requests] == [f"{ISSUER}/.well-known/openid-configuration"]


def test_a_redirect_from_the_provider_is_not_followed() -> None:
    transport = http.MockTransport(
        lambda r: http.Response(302, {"Location": "http://169.254.169.254/latest/meta-data/"})
    )
    with pytest.raises(oidc.LoginError) as exc:
        oidc.discover(ISSUER, transport=transport)
    assert exc.value.code == "provider_unreachable"
    assert len(transport.requests) == 1


def test_the_configured_transport_refuses_a_private_provider_unless_allowed(
    settings: Any,
) -> None:
    cfg = config()
    strict = cfg.env.model_copy(update={"outbound_allowed_networks": []})
    settings.ZHIFU = dataclasses.replace(cfg, env=strict)
    with pytest.raises(oidc.LoginError) as exc:
        oidc.discover("http://127.0.0.1:9/o")
    assert exc.value.code == "provider_unreachable"
    assert isinstance(exc.value.__cause__, http.AddressRefused)
