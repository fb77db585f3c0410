"""Settings of the cardnet site (the card-network simulator)."""

from zhifu.config.base import build

globals().update(build("cardnet", apps=["zhifu.cardnet"]))
