from __future__ import annotations

from typing import Any

import pytest

from tests.wallet.merchants.support import Api, new_key, new_platform
from zhifu.accounts.models import Platform


@pytest.fixture
def shop(db: Any) -> Platform:
    return new_platform("shop-a")


@pytest.fixture
def other_shop(db: Any) -> Platform:
    return new_platform("shop-b")


@pytest.fixture
def api(shop: Platform) -> Api:
    return Api(new_key("shop-a"))


@pytest.fixture
def other_api(other_shop: Platform) -> Api:
    return Api(new_key("shop-b"))
