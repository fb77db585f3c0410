"""The captcha-revealing test setting makes production refuse to start (issue 13)."""

from __future__ import annotations

import pytest

from zhifu.config.environment import ConfigurationError, Environment, load_environment
from zhifu.recovery import domain


def test_revealing_the_captcha_is_refused_outside_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZHIFU_TEST_REVEAL_CAPTCHA", "1")
    monkeypatch.setenv("ZHIFU_DEMO", "0")
    with pytest.raises(ConfigurationError, match="ZHIFU_TEST_REVEAL_CAPTCHA"):
        load_environment()
    monkeypatch.setenv("ZHIFU_DEMO", "1")
    assert load_environment().test_reveal_captcha


def test_cool_off_limits_are_checked() -> None:
    with pytest.raises(ValueError, match=r"EUR 50\.00"):
        Environment(cool_off_limits="EUR fifty")
    assert Environment(cool_off_limits="JPY 5000").cool_off_limits == "JPY 5000"


def test_limits_count_the_owner_apart() -> None:
    many = domain.EarlierRequests(own=0, address=9, client=9)
    assert not domain.limited(True, many)  # others' requests never block the owner
    assert domain.limited(False, many)
    assert domain.limited(True, domain.EarlierRequests(own=5, address=0, client=0))
    assert not domain.limited(False, domain.EarlierRequests(own=9, address=4, client=4))


def test_tokens_have_at_least_128_bits() -> None:
    assert domain.TOKEN_BYTES * 8 >= 128
