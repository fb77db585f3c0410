"""The API's one date-time parameter type: ISO 8601 with its offset, read as UTC."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator


def iso_only(value: Any) -> Any:
    """ISO 8601 with an offset only, as the API document says (pydantic would also take a
    Unix time), and in UTC: 0001-01-01T00:00+01:00 has no UTC instant and is refused, where
    PostgreSQL would answer "time zone displacement out of range" and the API a 500."""
    if not isinstance(value, str):
        return value
    try:
        stamp = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time with its offset") from None
    if stamp.tzinfo is None:
        raise ValueError("must say its offset (Z or +hh:mm)")
    try:
        return stamp.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


Instant = Annotated[AwareDatetime, BeforeValidator(iso_only)]
