"""Settings of the wallet site (the product)."""

from zhifu.config.base import build

globals().update(
    build(
        "wallet",
        apps=[
            "zhifu.accounts",
            "zhifu.credentials",
            "zhifu.ledger",
            "zhifu.fx",
            "zhifu.vault",
            "zhifu.notifications",
            "zhifu.outbox",
        ],
        user_model="accounts.User",
        seeds=("zhifu.accounts.seed.seed",),
    )
)
