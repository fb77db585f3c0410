"""`zhifu platform add|list|show|disable|enable|rotate-secret` (issue 10): a platform is
registered only after its provider's discovery shows what the wallet needs and its secret
resolves in the platform namespace; `show` never prints the secret."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.wallet.accounts.spec_provider import SpecProvider
from zhifu import cli
from zhifu.accounts import commands, oidc
from zhifu.accounts.models import Platform
from zhifu.config import secrets
from zhifu.config.runtime import CommandError
from zhifu.config.site import config
from zhifu.kernel import http

pytestmark = pytest.mark.django_db

ISSUER = "https://id.example.org/realms/shop"
SECRET = "64hex+/=" + "0123456789abcdef" * 3  # pragma: allowlist secret


@pytest.fixture
def provider(settings: Any, tmp_path: Path) -> Any:
    settings.ZHIFU = dataclasses.replace(config(), data_dir=tmp_path)
    spec = SpecProvider(ISSUER, "wallet-1", SECRET, config().urls["wallet"] + "/oidc/callback/")
    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(spec.handle)
    oidc._discovery_cache.clear()
    yield spec
    oidc._discovery_cache.clear()


def run(*argv: str) -> None:
    args = cli.build_parser().parse_args(["platform", *argv])
    action = args.platform_command
    if action == "add":
        commands.run_add(args)
    elif action == "list":
        commands.run_list(args)
    elif action == "show":
        commands.run_show(args)
    elif action in ("disable", "enable"):
        commands.run_set_active(args, action == "enable")
    else:
        commands.run_rotate(args)


def add(*extra: str, issuer: str = ISSUER) -> None:
    run(
        "add",
        "certified",
        "--name",
        "Certified shop",
        "--issuer",
        issuer,
        "--client-id",
        "wallet-1",
        *extra,
    )


def test_add_checks_the_provider_stores_the_secret_and_prints_the_redirect_uri(
    provider: SpecProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOP_SECRET", SECRET)
    add("--secret-from-env", "SHOP_SECRET")
    out = capsys.readouterr().out
    assert config().urls["wallet"] + "/oidc/callback/" in out
    platform = Platform.objects.get(slug="certified")
    assert platform.authorization_endpoint == f"{ISSUER}/auth"
    path = secrets.platform_secret_path(config().data_dir, "certified")
    assert path.read_text().strip() == SECRET
    assert path.stat().st_mode & 0o777 == 0o600
    assert SECRET not in out


def test_add_refuses_a_platform_whose_secret_cannot_be_found(provider: SpecProvider) -> None:
    with pytest.raises(CommandError, match="ZHIFU_PLATFORM_CERTIFIED_CLIENT_SECRET"):
        add()
    assert not Platform.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"issuer": "https://other.example/o"}, "another issuer"),
        ({"id_token_signing_alg_values_supported": ["HS256"]}, "RS256"),
        ({"code_challenge_methods_supported": ["plain"]}, "S256"),
        ({"token_endpoint_auth_methods_supported": ["private_key_jwt"]}, "client_secret_basic"),
    ],
)
def test_add_refuses_a_provider_the_wallet_cannot_use(
    provider: SpecProvider,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    message: str,
) -> None:
    monkeypatch.setenv(secrets.platform_secret_variable("certified"), SECRET)
    discovery = provider.discovery
    provider.discovery = lambda: {**discovery(), **change}  # type: ignore[method-assign]
    with pytest.raises(CommandError, match=message):
        add()
    assert not Platform.objects.exists()


def test_add_refuses_an_http_issuer_outside_the_demo(
    provider: SpecProvider, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(secrets.platform_secret_variable("certified"), SECRET)
    settings.ZHIFU = dataclasses.replace(config(), demo=False)
    with pytest.raises(CommandError, match="https"):
        add(issuer="http://id.example.org/realms/shop")
    assert not Platform.objects.exists()


def test_list_show_disable_enable(
    provider: SpecProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(secrets.platform_secret_variable("certified"), SECRET)
    add("--auth-method", "client_secret_basic")
    run("list")
    assert "certified" in capsys.readouterr().out
    run("show", "certified")
    shown = capsys.readouterr().out
    assert "ZHIFU_PLATFORM_CERTIFIED_CLIENT_SECRET" in shown
    assert SECRET not in shown
    run("disable", "certified")
    assert not Platform.objects.get(slug="certified").is_active
    run("enable", "certified")
    assert Platform.objects.get(slug="certified").is_active


def test_rotate_secret_replaces_the_file_read_at_the_next_sign_in(
    provider: SpecProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "first"
    first.write_text(SECRET)
    add("--secret-file", str(first))
    new = tmp_path / "new"
    new.write_text("rotated+/=value")
    run("rotate-secret", "certified", "--secret-file", str(new))
    assert config().platform_secret("certified").reveal() == "rotated+/=value"
    assert "rotated" not in capsys.readouterr().out


def test_manage_takes_data_dir_after_the_subcommand_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHIFU_DATA_DIR", os.environ.get("ZHIFU_DATA_DIR", ""))  # restored after
    assert cli._take_data_dir(["shell", "--data-dir", str(tmp_path), "-c", "x"]) == [
        "shell",
        "-c",
        "x",
    ]
    assert os.environ["ZHIFU_DATA_DIR"] == str(tmp_path.resolve())


def test_trust_email_verified_is_off_unless_asked_and_shown(
    provider: SpecProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(secrets.platform_secret_variable("certified"), SECRET)
    add()
    assert Platform.objects.get(slug="certified").trust_email_verified is False
    run("show", "certified")
    assert re.search(r"^trust_email_verified:\s+False$", capsys.readouterr().out, re.M)
    add("--update", "--trust-email-verified")
    assert Platform.objects.get(slug="certified").trust_email_verified is True
    captured = capsys.readouterr()
    assert "warning:" in captured.err
    assert "without the owner's proof" in captured.err
    run("show", "certified")
    assert re.search(r"^trust_email_verified:\s+True$", capsys.readouterr().out, re.M)
    add("--update")  # every setting as given: a flag left out is off again
    assert Platform.objects.get(slug="certified").trust_email_verified is False


def test_add_of_an_existing_slug_changes_nothing_not_even_its_secret(
    provider: SpecProvider, tmp_path: Path
) -> None:
    first = tmp_path / "first"
    first.write_text(SECRET)
    add("--secret-file", str(first))
    other = tmp_path / "other"
    other.write_text("someone-elses-secret")
    with pytest.raises(CommandError, match="exists already"):
        run(
            "add", "certified", "--name", "Impostor", "--issuer", ISSUER, "--client-id", "x",
            "--secret-file", str(other),
        )  # fmt: skip
    assert config().platform_secret("certified").reveal() == SECRET
    assert Platform.objects.get(slug="certified").name == "Certified shop"


def test_update_checks_the_provider_again_and_takes_the_new_settings(
    provider: SpecProvider, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(secrets.platform_secret_variable("certified"), SECRET)
    add()
    discovery = provider.discovery
    provider.discovery = lambda: {  # type: ignore[method-assign]
        **discovery(),
        "authorization_endpoint": f"{ISSUER}/authorize-v2",
    }
    run(
        "add", "certified", "--update", "--name", "Renamed", "--issuer", ISSUER,
        "--client-id", "wallet-2",
    )  # fmt: skip
    assert "updated platform 'certified'" in capsys.readouterr().out
    platform = Platform.objects.get(slug="certified")
    assert (platform.name, platform.client_id) == ("Renamed", "wallet-2")
    assert platform.authorization_endpoint == f"{ISSUER}/authorize-v2"
    # A provider the wallet cannot use is refused on update too, and nothing changes.
    provider.discovery = lambda: {  # type: ignore[method-assign]
        **discovery(),
        "code_challenge_methods_supported": ["plain"],
    }
    with pytest.raises(CommandError, match="S256"):
        add("--update")
    assert Platform.objects.get(slug="certified").name == "Renamed"


@pytest.mark.parametrize("demo", [False, True])
def test_update_moves_the_issuer_of_a_platform_with_buyers_only_in_the_demo(
    provider: SpecProvider, settings: Any, monkeypatch: pytest.MonkeyPatch, demo: bool
) -> None:
    from zhifu.accounts.models import Identity, User

    monkeypatch.setenv(secrets.platform_secret_variable("certified"), SECRET)
    add()
    platform = Platform.objects.get(slug="certified")
    Identity.objects.create(
        platform=platform, subject="c0ffee", user=User.objects.create_user(None)
    )
    moved = "https://id.example.org/realms/moved"
    spec = SpecProvider(moved, "wallet-1", SECRET, config().urls["wallet"] + "/oidc/callback/")
    settings.ZHIFU_HTTP_TRANSPORT = http.MockTransport(
        lambda r: (spec if r.url.startswith(moved) else provider).handle(r)
    )
    settings.ZHIFU = dataclasses.replace(config(), demo=demo)
    if demo:  # the demo's shops change ports between runs; they are the same providers
        add("--update", issuer=moved)
        assert Platform.objects.get(slug="certified").issuer == moved
    else:  # the buyers' subjects are the old provider's: another could claim them
        with pytest.raises(CommandError, match="new slug"):
            add("--update", issuer=moved)
        assert Platform.objects.get(slug="certified").issuer == ISSUER
