"""Each site's ALLOWED_HOSTS is the host of its own URL (issue 9 finding 5)."""

from __future__ import annotations

import pytest

from zhifu.config.base import site_host


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://localhost:8000", "localhost"),
        ("http://127.0.0.2:8002", "127.0.0.2"),
        ("https://Wallet.Example.com", "wallet.example.com"),
        ("http://[::1]:8000", "[::1]"),
    ],
)
def test_the_allowed_host_is_the_urls_host_without_its_port(url: str, host: str) -> None:
    assert site_host(url) == host


def test_a_url_without_a_host_is_refused() -> None:
    with pytest.raises(ValueError, match="no host name"):
        site_host("wallet.example.com")
