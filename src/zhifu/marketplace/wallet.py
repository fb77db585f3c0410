"""The shop's connection to the zhifu wallet: the SDK, configured for this shop.

The key and the webhook secret are this shop's own (the demo's second shop has its own),
read at each use from ZHIFU_SHOP_API_KEY / ZHIFU_SHOP_WEBHOOK_SECRET or the data
directory's secrets folder (`shop_api_key`, `shop_webhook_secret`), so a rotated value
needs no restart. Tests hand the SDK a requests session through the setting
ZHIFU_SHOP_WALLET_SESSION instead of patching anything.
"""

from __future__ import annotations

from django.conf import settings

from zhifu.client import Client
from zhifu.config.secrets import optional_secret
from zhifu.config.site import config
from zhifu.kernel.secret import Secret

API_KEY_NAME = "shop_api_key"  # pragma: allowlist secret
WEBHOOK_SECRET_NAME = "shop_webhook_secret"  # noqa: S105 - the secret's name  # pragma: allowlist secret
TIMEOUT_S = 10.0


def api_key() -> Secret | None:
    return optional_secret(config().data_dir, API_KEY_NAME)


def webhook_secret() -> Secret | None:
    return optional_secret(config().data_dir, WEBHOOK_SECRET_NAME)


def client() -> Client | None:
    """The SDK client of this shop, or None while the shop has no wallet API key."""
    key = api_key()
    if key is None:
        return None
    return Client(
        key.reveal(),
        f"{config().urls['wallet']}/api/v1",
        timeout=TIMEOUT_S,
        max_retries=2,
        session=getattr(settings, "ZHIFU_SHOP_WALLET_SESSION", None),
    )
