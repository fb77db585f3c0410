"""Demo data of the merchant API: the demo shop's test key, printed with the demo's other
credentials (safe to run on every start: the same key every time)."""

from __future__ import annotations

from zhifu.config.secrets import demo_value
from zhifu.config.site import config
from zhifu.merchants import services
from zhifu.merchants.domain import Mode, new_secret_key

DEMO_PLATFORM = "zhifu-shop"  # registered by the accounts seed, which runs first
# In the demo's secrets folder (mode 0600): the shop's server reads it from there.
DEMO_KEY_NAME = "demo_shop_api_key"


def seed() -> list[str]:
    cfg = config()
    if not cfg.demo:
        return []
    key = demo_value(cfg.data_dir, DEMO_KEY_NAME, lambda: new_secret_key(Mode.TEST))
    services.adopt_key(DEMO_PLATFORM, key, name="demo shop")
    return [f"shop API key ({DEMO_PLATFORM}, test mode): {key}"]
