from __future__ import annotations

import os

import pytest
import time_machine

from tests.harness import clock, profiles

profiles.register()

_travellers: list[time_machine.travel] = []


def pytest_configure(config: pytest.Config) -> None:
    # At configure, before collection: module-level clock reads are pinned too.
    if (traveller := clock.pin_run()) is not None:
        _travellers.append(traveller)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _travellers:
        _travellers.pop().stop()


def pytest_report_header(config: pytest.Config) -> str:
    return f"clock: {os.environ.get(clock.NOW)} (ZHIFU_TEST_NOW)"


@pytest.fixture(autouse=True)
def _production_hashing(request: pytest.FixtureRequest) -> None:
    """@pytest.mark.production_hashing: the production password hashers and argon2 parameters
    for this test (tests/settings choose cheap ones). Autouse, so it precedes the fixtures
    that hash."""
    if request.node.get_closest_marker("production_hashing") is None:
        return
    settings = request.getfixturevalue("settings")
    settings.PASSWORD_HASHERS = settings.PRODUCTION_PASSWORD_HASHERS
    del settings.CREDENTIAL_HASH_PARAMETERS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("ZHIFU_TEST_DB", "sqlite") == "postgres":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)
