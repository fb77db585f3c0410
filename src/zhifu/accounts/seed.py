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
        },
    )
    cfg = config()
    if cfg.demo:  # the demo shop's registered secret, in the platform's own namespace
        from zhifu.config.secrets import resolve, write_platform_secret

        write_platform_secret(
            cfg.data_dir, DEMO_PLATFORM, resolve(cfg.env, "oidc_client_secret").reveal()
        )
    if not created and platform.issuer != issuer:
        platform.issuer = issuer
        platform.save(update_fields=["issuer"])
    return []
