from __future__ import annotations

import stat
from pathlib import Path

import pytest

from zhifu.config import secrets
from zhifu.config.databases import database_config, database_url
from zhifu.config.environment import ConfigurationError, load_environment


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("ZHIFU_") or key == "DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("ZHIFU_DATA_DIR", str(tmp_path))


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("ZHIFU_CURRENCIES", "USD,XYZ", "ZHIFU_CURRENCIES: 'XYZ' is not an ISO 4217 currency"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must start with postgresql:// or sqlite:///"),
        ("ZHIFU_SMTP_PORT", "seventy", "ZHIFU_SMTP_PORT: Input should be a valid integer"),
        ("ZHIFU_LOG_LEVEL", "LOUD", "ZHIFU_LOG_LEVEL: Input should be"),
        ("ZHIFU_WALLET_URL", "wallet.example.com", "ZHIFU_WALLET_URL: must be an http:// or"),
        ("ZHIFU_CARDNET_URL", "http://:8002", "ZHIFU_CARDNET_URL: must be an http:// or"),
        ("ZHIFU_SHOP_ACCENT", "red", "ZHIFU_SHOP_ACCENT: must be a colour as #rrggbb"),
        ("ZHIFU_SHOP_ACCENT", "#f5b400", "ZHIFU_SHOP_ACCENT: #f5b400 on white has a contrast of"),
        ("ZHIFU_SHOP_LOGO", "../secrets/pepper.svg", "ZHIFU_SHOP_LOGO: String should match"),
        ("ZHIFU_SHOP_LOGO", "https://evil.example/x.svg", "ZHIFU_SHOP_LOGO: String should"),
        ("ZHIFU_OIDC_CLIENT_ID", "a b", "ZHIFU_OIDC_CLIENT_ID: String should match"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigurationError) as info:
        load_environment()
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_currencies_default_to_the_fourteen_and_can_be_narrowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(load_environment().currencies) == 14
    monkeypatch.setenv("ZHIFU_CURRENCIES", "rub, usd")
    assert load_environment().currencies == ("RUB", "USD")


def test_missing_secret_outside_demo_names_its_variable() -> None:
    env = load_environment()
    with pytest.raises(ConfigurationError, match=r"^ZHIFU_PEPPER: required"):
        secrets.resolve(env, "pepper")


def test_secret_from_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIFU_PEPPER", "from-env")
    assert secrets.resolve(load_environment(), "pepper").reveal() == "from-env"


def test_demo_secrets_are_generated_once_with_mode_0600(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ZHIFU_DEMO", "1")
    env = load_environment()
    first = {name: secrets.resolve(env, name).reveal() for name in secrets.GENERATORS}
    env_again = load_environment()
    again = {name: secrets.resolve(env_again, name).reveal() for name in secrets.GENERATORS}
    assert first == again
    for name in secrets.GENERATORS:
        mode = stat.S_IMODE((tmp_path / "secrets" / name).stat().st_mode)
        assert mode == 0o600, name
    assert "BEGIN PRIVATE KEY" in first["oidc_signing_key"]
    assert len(first["pepper"]) == 64


def test_demo_secrets_are_read_back_outside_demo_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIFU_DEMO", "1")
    generated = secrets.resolve(load_environment(), "pepper").reveal()
    monkeypatch.delenv("ZHIFU_DEMO")
    assert secrets.resolve(load_environment(), "pepper").reveal() == generated


def test_sqlite_is_configured_for_concurrency(tmp_path: Path) -> None:
    url, source = database_url(load_environment(), "wallet", own_site=True)
    assert source == "default"
    config = database_config(url, source, 60)
    assert config["NAME"] == str((tmp_path / "wallet.sqlite3").resolve())
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]
    assert "busy_timeout" in config["OPTIONS"]["init_command"]
    # Kept between requests like PostgreSQL's: not reopened (PRAGMAs and all) per request.
    assert config["CONN_MAX_AGE"] == 60


def test_database_url_belongs_to_the_site_the_process_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/wallet")
    monkeypatch.setenv("ZHIFU_VAULT_DATABASE_URL", "postgresql://u@db/vault")
    env = load_environment()
    url, source = database_url(env, "wallet", own_site=True)
    assert (url, source) == ("postgresql://u@db/wallet", "DATABASE_URL")
    assert database_url(env, "vault", own_site=False)[0] == "postgresql://u@db/vault"
    config = database_config("postgresql://u@db/wallet", "DATABASE_URL", 60)
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["CONN_HEALTH_CHECKS"] is True


def test_the_shops_look_blank_means_unset_and_a_dark_enough_accent_is_kept(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for var in ("ZHIFU_SHOP_NAME", "ZHIFU_SHOP_NAME_RU", "ZHIFU_SHOP_ACCENT", "ZHIFU_SHOP_LOGO"):
        monkeypatch.setenv(var, "  ")
    env = load_environment()
    assert (env.shop_name, env.shop_name_ru, env.shop_accent, env.shop_logo) == (None,) * 4
    monkeypatch.setenv("ZHIFU_SHOP_ACCENT", "#A3341B")
    monkeypatch.setenv("ZHIFU_SHOP_LOGO", "marketplace/logos/bazaar.svg")
    env = load_environment()
    assert env.shop_accent == "#a3341b"
    assert env.shop_logo == "marketplace/logos/bazaar.svg"


def test_contrast_with_white_follows_wcag() -> None:
    from zhifu.config.environment import contrast_with_white

    assert round(contrast_with_white("#000000"), 1) == 21.0
    assert round(contrast_with_white("#ffffff"), 1) == 1.0
    assert round(contrast_with_white("#0172ad"), 2) == 5.23  # Pico's blue, the first shop's


def test_demo_mail_goes_to_the_data_dir_unless_another_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from zhifu.config.site import SiteConfig

    def mail_dir() -> Path:
        env = load_environment()
        return SiteConfig("marketplace", True, env.data_dir, {}, (), {}, env).mail_dir

    assert mail_dir() == tmp_path / "mail"
    monkeypatch.setenv("ZHIFU_MAIL_DIR", str(tmp_path / "shared"))  # the demo's second shop
    assert mail_dir() == tmp_path / "shared"
