"""Which card network the wallet talks to: one choice, made from settings.

The wallet's settings name it (``ZHIFU_CARD_NETWORK``, read in ``zhifu.config.outbound``,
the one Django-aware place that builds outgoing collaborators):

- ``"cardnet"`` (the default): :class:`CardnetConnector` over the wallet's HTTP transport,
  with cardnet's URL, API key and challenge signing keys;
- ``"fake"``: a fresh :class:`FakeCardNetwork`, which approves everything (a wallet run
  without cardnet; never in production);
- a ``CardNetwork`` instance: tests put a programmed fake there (pytest-django's
  ``settings`` fixture restores the setting afterwards), instead of patching a module.

This module imports no Django: the settings reach it as plain values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from zhifu.connectors.base import CardNetwork
from zhifu.connectors.cardnet import CardnetConnector, wire
from zhifu.connectors.fake import FakeCardNetwork
from zhifu.kernel import http, signing

__all__ = ["NAMES", "CardnetSettings", "card_network", "cardnet_connector"]

NAMES = ("cardnet", "fake")


@dataclass(frozen=True)
class CardnetSettings:
    base_url: str
    api_key: str = field(repr=False)
    challenge_key: str = field(repr=False)
    challenge_fallback_keys: Sequence[str] = field(default=(), repr=False)
    transport: http.Transport = field(default_factory=http.HttpTransport)


def cardnet_connector(settings: CardnetSettings) -> CardnetConnector:
    signer = signing.Signer(
        settings.challenge_key,
        settings.challenge_fallback_keys,
        salt=wire.CHALLENGE_RESULT_SALT,
    )
    return CardnetConnector(settings.transport, settings.base_url, settings.api_key, signer)


def card_network(
    choice: str | CardNetwork, cardnet_settings: Callable[[], CardnetSettings]
) -> CardNetwork:
    """The network ``choice`` names (see the module); cardnet's settings read only if used."""
    if not isinstance(choice, str):
        return choice
    if choice == "cardnet":
        return cardnet_connector(cardnet_settings())
    if choice == "fake":
        return FakeCardNetwork()
    raise ValueError(f"unknown card network {choice!r}: use one of {', '.join(NAMES)}")
