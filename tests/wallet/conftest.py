from collections.abc import Iterator

import pytest

from zhifu.accounts import csp
from zhifu.merchants import services as merchants


@pytest.fixture(autouse=True)
def _csp_origins_fresh() -> Iterator[None]:
    """A test's platforms are rolled back without a signal: forget the origins they left in
    the process's CSP cache (zhifu.accounts.csp)."""
    csp.forget()
    yield
    csp.forget()


@pytest.fixture(autouse=True)
def _api_keys_fresh() -> Iterator[None]:
    """Likewise the keys the merchant API read (zhifu.merchants.services caches them)."""
    merchants.forget_cached_keys()
    yield
    merchants.forget_cached_keys()
