"""Where the wallet's outgoing HTTP may go: the allow-list of private networks."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhifu.config.environment import ConfigurationError, load_environment


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("ZHIFU_") or key == "DATABASE_URL":
            monkeypatch.delenv(key)
    monkeypatch.setenv("ZHIFU_DATA_DIR", str(tmp_path))


def test_loopback_is_allowed_in_demo_mode_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_environment().allowed_networks == []
    monkeypatch.setenv("ZHIFU_DEMO", "1")
    assert load_environment().allowed_networks == ["127.0.0.0/8", "::1/128"]


def test_the_allow_list_is_set_explicitly_even_to_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIFU_OUTBOUND_ALLOWED_NETWORKS", "10.0.3.0/24, fd00::/8")
    assert load_environment().allowed_networks == ["10.0.3.0/24", "fd00::/8"]
    monkeypatch.setenv("ZHIFU_DEMO", "1")
    monkeypatch.setenv("ZHIFU_OUTBOUND_ALLOWED_NETWORKS", "")
    assert load_environment().allowed_networks == []  # a demo that refuses loopback


def test_a_bad_network_is_one_line_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIFU_OUTBOUND_ALLOWED_NETWORKS", "10.0.0.0/8,intranet")
    with pytest.raises(
        ConfigurationError, match=r"^ZHIFU_OUTBOUND_ALLOWED_NETWORKS: not a network"
    ):
        load_environment()


def test_challenge_key_fallbacks_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhifu.config.site import SiteConfig

    monkeypatch.setenv("ZHIFU_CARDNET_CHALLENGE_KEY_FALLBACKS", "old-1, old-2,")
    env = load_environment()
    cfg = SiteConfig("wallet", False, env.data_dir, {}, (), {}, env)
    assert cfg.secret_fallbacks("cardnet_challenge_key") == ("old-1", "old-2")
    assert cfg.secret_fallbacks("cardnet_api_key") == ()  # no fallbacks for that one
    assert "old-1" not in repr(env)
