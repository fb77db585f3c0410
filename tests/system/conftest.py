from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.demo import Demo


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """A demo on a copy of the migrated and seeded data (tests/harness/demo.py)."""
    d = Demo(tmp_path / "data")
    yield d
    d.kill_leftovers()


@pytest.fixture
def fresh_demo(tmp_path: Path) -> Iterator[Demo]:
    """A demo on an empty data dir: it migrates and seeds every site, as on a newcomer's
    machine."""
    d = Demo(tmp_path / "data", fresh=True)
    yield d
    d.kill_leftovers()
