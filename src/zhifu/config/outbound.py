"""The wallet's outgoing collaborators, built from settings in one place.

- :func:`http_transport`: the kernel.http transport for operator-configured endpoints
  (the card network, OIDC providers), with the address guard's allow-list from
  ``ZHIFU_OUTBOUND_ALLOWED_NETWORKS`` (loopback in demo mode);
- :func:`card_network`: the connector ``zhifu.connectors.registry`` picks for the
  Django setting ``ZHIFU_CARD_NETWORK`` (default ``"cardnet"``).

Every transport built here goes through this process's one outbound limit
(``kernel.http.LimitedTransport``), sized from the server's thread pool by the rule below.

Tests configure instead of patching: pytest-django's ``settings`` fixture sets
``ZHIFU_HTTP_TRANSPORT`` to a ``MockTransport`` or ``ZHIFU_CARD_NETWORK`` to a programmed
``FakeCardNetwork``, and restores both afterwards.
"""

from __future__ import annotations

import os
from typing import cast

from django.conf import settings

from zhifu.config.environment import ConfigurationError
from zhifu.config.site import config
from zhifu.connectors import registry
from zhifu.connectors.base import CardNetwork
from zhifu.kernel import http

# The rule that keeps a slow upstream from starving the site (docs/card-network.md
# "A slow network"), stated once:
# - a process serving T threads lets at most T - 1 calls wait on the network at once
#   (ZHIFU_OUTBOUND_SLOTS may lower that), so one thread always serves pages and /healthz;
# - a request waits at most SLOT_WAIT_S for a slot, then gets "busy" with nothing sent;
# - one call holds its thread at most SLOT_WAIT_S + connect + read <= CALL_BUDGET_S, a
#   third of gunicorn's 30 s timeout (zhifu.serve), so even a sign-in that makes three
#   calls to a hanging provider gives its thread back within a browser's patience.
SLOT_WAIT_S = 1.0
CALL_BUDGET_S = 10.0
THREADS_DEFAULT = 4  # `zhifu serve --threads`, and what runserver and the tests assume
CONNECT_TIMEOUT_S = 2.0
OIDC_TIMEOUTS = (CONNECT_TIMEOUT_S, 3.0)
# The card network's read timeout for zero-amount verifications is a setting
# (ZHIFU_CARD_VERIFY_READ_TIMEOUT) within the rule; see verify_timeouts().
VERIFY_READ_MAX_S = CALL_BUDGET_S - SLOT_WAIT_S - CONNECT_TIMEOUT_S

_threads = THREADS_DEFAULT
_slots: tuple[int, http.Slots] | None = None  # (pid, slots): one limit per process


def use_thread_pool(threads: int) -> None:
    """Size the outbound limit for a server of ``threads`` threads per process (serve)."""
    global _threads
    _threads = threads
    slots()  # a bad ZHIFU_OUTBOUND_SLOTS fails at start, not at the first card


def slots() -> http.Slots:
    """This process's outbound slots (made again after a fork, or when the size changes)."""
    global _slots
    threads = _threads
    configured = config().env.outbound_slots
    capacity = max(1, threads - 1) if configured is None else configured
    if threads > 1 and capacity >= threads:
        raise ConfigurationError(
            f"ZHIFU_OUTBOUND_SLOTS: {capacity} leaves no thread of {threads} for pages: "
            f"set it below {threads} or serve with more threads"
        )
    pid = os.getpid()
    if _slots is None or _slots[0] != pid or _slots[1].capacity != capacity:
        _slots = (pid, http.Slots(capacity))
    return _slots[1]


def verify_timeouts() -> tuple[float, float]:
    """(connect, read) seconds for the card network's zero-amount verifications."""
    return CONNECT_TIMEOUT_S, config().env.card_verify_read_timeout_s


def http_transport(connect_timeout: float, read_timeout: float) -> http.Transport:
    """The transport outgoing calls use (a test's MockTransport when one is configured),
    behind this process's outbound limit."""
    if connect_timeout + read_timeout + SLOT_WAIT_S > CALL_BUDGET_S:
        raise ValueError(f"{connect_timeout}+{read_timeout}s breaks the {CALL_BUDGET_S}s budget")
    configured = getattr(settings, "ZHIFU_HTTP_TRANSPORT", None)
    inner = cast(http.Transport, configured) if configured is not None else None
    if inner is None:
        inner = http.HttpTransport(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            allowed_networks=http.parse_networks(config().env.allowed_networks),
        )
    return http.LimitedTransport(inner, slots(), wait=SLOT_WAIT_S)


def webhook_transport(connect_timeout: float, read_timeout: float) -> http.Transport:
    """Webhook deliveries' transport (a test's MockTransport when one is configured): short
    timeouts, the same address guard, no redirects. Not behind the page-thread limit: the
    worker that sends serves no pages, and its own sending threads bound it
    (webhooks.services.Sender)."""
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
        transport=http_transport(*verify_timeouts()),
    )


def card_network() -> CardNetwork:
    return registry.card_network(getattr(settings, "ZHIFU_CARD_NETWORK", "cardnet"), _cardnet)
