"""The one source of the current time, so tests can move it (time-machine)."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """Aware UTC now. Every module asks this function, never datetime directly."""
    return dt.datetime.now(dt.UTC)
