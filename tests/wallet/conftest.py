from collections.abc import Iterator

import pytest

from zhifu.accounts import csp


@pytest.fixture(autouse=True)
def _csp_origins_fresh() -> Iterator[None]:
    """A test's platforms are rolled back without a signal: forget the origins they left in
    the process's CSP cache (zhifu.accounts.csp)."""
    csp.forget()
    yield
    csp.forget()
