"""Settings of the marketplace site (the reference shop and identity provider)."""

from zhifu.config.base import build

globals().update(
    build(
        "marketplace",
        apps=["zhifu.marketplace"],
        user_model="marketplace.Buyer",
        seeds=("zhifu.marketplace.seed.seed",),
    )
)
