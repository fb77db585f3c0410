from __future__ import annotations

from typing import Any

import pytest

from tests.wallet.merchants.support import new_key, new_platform
from zhifu.client import Client


@pytest.fixture
def api_url(live_server: Any) -> str:
    return f"{live_server.url}/api/v1"


@pytest.fixture
def key(transactional_db: None) -> str:
    new_platform("shop-a")
    return new_key("shop-a")


@pytest.fixture
def sdk(api_url: str, key: str) -> Client:
    return Client(key, api_url, timeout=30, max_retries=1)
