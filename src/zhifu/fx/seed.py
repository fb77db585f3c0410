"""Demo data for FX: the shipped sample rates, dated now, so the offline demo can convert.

Safe on every start: it imports only when no rate of the sample's pairs is fresh enough
(younger than half the maximum rate age).
"""

from __future__ import annotations

from zhifu.fx import services
from zhifu.fx.models import Rate
from zhifu.kernel import clock


def seed() -> list[str]:
    settings = services.Settings.current()
    fresh_since = clock.now() - settings.max_rate_age / 2
    if Rate.objects.filter(base="EUR", as_of__gte=fresh_since).exists():
        return []
    result = services.import_sample()
    return [f"fx: {result.created} sample rates imported (dated now; not official ECB figures)"]
