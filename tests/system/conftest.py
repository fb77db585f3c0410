from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.demo import Demo


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    d = Demo(tmp_path / "data")
    yield d
    d.kill_leftovers()
