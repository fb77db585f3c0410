"""Demo data for the shop, safe to run on every start (nothing is created twice)."""

from __future__ import annotations

from zhifu.marketplace.models import Buyer

DEMO_BUYER_EMAIL = "buyer@zhifu.localhost"
DEMO_BUYER_PASSWORD = "lantern-cobalt-42"  # noqa: S105 - published demo credential


def seed() -> list[str]:
    buyer, created = Buyer.objects.get_or_create(
        email=DEMO_BUYER_EMAIL, defaults={"name": "Demo Buyer", "locale": "en"}
    )
    if created:
        buyer.set_password(DEMO_BUYER_PASSWORD)
        buyer.save(update_fields=["password"])
    return [f"shop buyer: {DEMO_BUYER_EMAIL} / {DEMO_BUYER_PASSWORD}"]
