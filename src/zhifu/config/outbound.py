"""The wallet's outgoing collaborators, built from settings in one place.

- :func:`http_transport`: the kernel.http transport for operator-configured endpoints
  (the card network, OIDC providers), with the address guard's allow-list from
  ``ZHIFU_OUTBOUND_ALLOWED_NETWORKS`` (loopback in demo mode);
- :func:`card_network`: the connector ``zhifu.connectors.registry`` picks for the
  Django setting ``ZHIFU_CARD_NETWORK`` (default ``"cardnet"``).

Tests configure instead of patching: pytest-django's ``settings`` fixture sets
``ZHIFU_HTTP_TRANSPORT`` to a ``MockTransport`` or ``ZHIFU_CARD_NETWORK`` to a programmed
``FakeCardNetwork``, and restores both afterwards.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings

from zhifu.config.site import config
from zhifu.connectors import registry
from zhifu.connectors.base import CardNetwork
from zhifu.kernel import http

# Seconds. The card network's read timeout stays well under a browser's patience.
CARD_NETWORK_TIMEOUTS = (3.0, 8.0)
OIDC_TIMEOUTS = (5.0, 10.0)


def http_transport(connect_timeout: float, read_timeout: float) -> http.Transport:
    """The transport outgoing calls use (a test's MockTransport when one is configured)."""
    configured = getattr(settings, "ZHIFU_HTTP_TRANSPORT", None)
    if configured is not None:
        return cast(http.Transport, configured)
    return http.HttpTransport(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        allowed_networks=http.parse_networks(config().env.allowed_networks),
    )


def _cardnet() -> registry.CardnetSettings:
    cfg = config()
    return registry.CardnetSettings(
        base_url=cfg.urls["cardnet"],
        api_key=cfg.secret("cardnet_api_key").reveal(),
        challenge_key=cfg.secret("cardnet_challenge_key").reveal(),
        challenge_fallback_keys=cfg.secret_fallbacks("cardnet_challenge_key"),
        transport=http_transport(*CARD_NETWORK_TIMEOUTS),
    )


def card_network() -> CardNetwork:
    return registry.card_network(getattr(settings, "ZHIFU_CARD_NETWORK", "cardnet"), _cardnet)
