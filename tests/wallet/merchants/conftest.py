from __future__ import annotations

from typing import Any

import pytest

from tests.wallet.merchants.support import new_platform
from zhifu.accounts.models import Platform


@pytest.fixture
def shop(db: Any) -> Platform:
    return new_platform("shop-a")


@pytest.fixture
def other_shop(db: Any) -> Platform:
    return new_platform("shop-b")
