"""Settings of the wallet site (the product)."""

from zhifu.config.base import build

globals().update(
    build(
        "wallet",
        apps=["zhifu.accounts", "zhifu.outbox"],
        user_model="accounts.User",
    )
)
