"""Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: `ci` (the default, what `make test` runs)
and `nightly` (ten times the examples, a new random seed each run; see docs/development.md)."""

from __future__ import annotations

import os

from hypothesis import settings

PROFILE = "HYPOTHESIS_PROFILE"


def register() -> None:
    # ci: the same examples on every run (derandomized), no deadline on a loaded 2-core runner,
    # no example database written into a fresh clone.
    settings.register_profile(
        "ci", max_examples=100, derandomize=True, deadline=None, database=None, print_blob=True
    )
    settings.register_profile(
        "nightly", max_examples=1000, derandomize=False, deadline=None, print_blob=True
    )
    settings.load_profile(os.environ.get(PROFILE, "ci"))


def nightly() -> bool:
    return os.environ.get(PROFILE, "ci") == "nightly"


def examples(ci: int) -> int:
    """A test's own example count under ci, ten times that under nightly."""
    return ci * 10 if nightly() else ci
