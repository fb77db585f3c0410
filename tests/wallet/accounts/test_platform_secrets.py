"""A platform's client secret lives in its own namespace, read at use (issue 10): it can
never be one of the wallet's own secrets, and a new or rotated one needs no restart."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.wallet.accounts.support import CLIENT_SECRET, ISSUER, FakeProvider, sso
from zhifu.accounts import oidc
from zhifu.accounts.models import Platform
from zhifu.config import secrets
from zhifu.config.site import config

pytestmark = pytest.mark.django_db

OWN_SECRETS = sorted(secrets.GENERATORS)


@pytest.mark.parametrize("name", OWN_SECRETS)
def test_a_platform_named_after_a_wallet_secret_cannot_get_it(
    name: str, monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path
) -> None:
    # The wallet's own secret, both in the environment and in a secrets folder.
    settings.ZHIFU = dataclasses.replace(config(), data_dir=tmp_path)
    monkeypatch.setenv(f"ZHIFU_{name.upper()}", "the-wallet's-own")
    folder = tmp_path / "secrets"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("the-wallet's-own\n")
    for slug in (name, name.replace("_", "-"), f"../{name}", f"secrets/{name}"):
        with pytest.raises(oidc.LoginError) as exc:
            oidc.client_secret(slug)
        assert exc.value.code == "no_client_secret", slug


def test_the_namespace_is_disjoint_from_every_wallet_secret() -> None:
    for name in OWN_SECRETS:
        for slug in ("x", name.replace("_", "-")):
            assert secrets.platform_secret_name(slug).startswith("platform.")
            variable = secrets.platform_secret_variable(slug)
            assert variable.startswith("ZHIFU_PLATFORM_")
            assert variable != f"ZHIFU_{name.upper()}"


def test_a_slug_that_is_not_a_slug_names_no_file() -> None:
    for bad in ("", "..", "a/b", "A", "-a", "a-", "a.b", "x" * 51):
        with pytest.raises(ValueError, match="not a platform slug"):
            secrets.platform_secret_name(bad)


def test_the_wallet_no_longer_needs_the_demo_shops_secret_itself() -> None:
    assert "oidc_client_secret" not in secrets.REQUIRED["wallet"]


def write(slug: str, value: str) -> Path:
    path = secrets.platform_secret_path(config().data_dir, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    return path


def test_a_secret_in_the_secrets_folder_is_read_at_use_no_restart(
    client: Client, provider: FakeProvider
) -> None:
    Platform.objects.create(
        slug="folder-shop", name="Folder shop", issuer=ISSUER, client_id="zhifu-wallet"
    )
    resp = client.post("/oidc/login/", {"platform": "folder-shop"})
    assert resp.context["code"] == "no_client_secret"
    path = write("folder-shop", CLIENT_SECRET)  # after the process started
    try:
        resp = client.post("/oidc/login/", {"platform": "folder-shop"})
        query = provider.authorize(resp["Location"])
        assert client.get("/oidc/callback/", query).status_code == 302
        # Rotated: the next exchange presents the new value.
        provider.secret = "rotated+/=" + CLIENT_SECRET  # pragma: allowlist secret
        write("folder-shop", provider.secret)
        client.post("/logout/")
        resp = client.post("/oidc/login/", {"platform": "folder-shop"})
        assert (
            client.get("/oidc/callback/", provider.authorize(resp["Location"])).status_code == 302
        )
    finally:
        path.unlink()


def test_the_environment_wins_over_the_folder(
    client: Client, platform: Platform, provider: FakeProvider, settings: Any
) -> None:
    path = write("shop", "stale-value-in-the-folder")
    try:
        assert sso(client, provider).status_code == 302  # the variable's value was used
    finally:
        path.unlink()
