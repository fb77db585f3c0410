"""Demo data for the wallet, safe to run on every start (nothing is created twice)."""

from __future__ import annotations

from zhifu.config.site import config

DEMO_PLATFORM = "zhifu-shop"


def seed() -> list[str]:
    """Register the demo shop as a platform; its issuer follows the shop's current URL
    (the demo's ports can change between runs)."""
    from zhifu.accounts.models import Platform

    issuer = config().urls["marketplace"] + "/o"
    platform, created = Platform.objects.get_or_create(
        slug=DEMO_PLATFORM,
        defaults={
            "name": "zhifu shop",
            "issuer": issuer,
            "client_id": "zhifu-wallet",
            "client_secret_name": "oidc_client_secret",
        },
    )
    if not created and platform.issuer != issuer:
        platform.issuer = issuer
        platform.save(update_fields=["issuer"])
    return []
