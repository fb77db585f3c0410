"""Login throttling at the shop, on top of django-axes.

Axes locks one (e-mail, client address) pair after AXES_FAILURE_LIMIT failures, so wrong
passwords typed elsewhere never lock the buyer out. A separate limit per client address,
across all e-mails, stops one address from trying a common password on many accounts.
The address is the client's behind trusted proxies (zhifu.web.client_ip). Failures for
one account from anywhere never lock it: past LOGIN_CHALLENGE_AFTER they make every login
to it answer the challenge first (zhifu.marketplace.forms.LoginForm).
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone

from zhifu.marketplace import domain

# Failures from one address, summed over every e-mail, within AXES_COOLOFF_TIME.
NETWORK_LIMIT = 20


def _failures(**match: str) -> int:
    since = timezone.now() - getattr(settings, "AXES_COOLOFF_TIME")  # noqa: B009 - not in the stubs
    attempts = AccessAttempt.objects.filter(attempt_time__gte=since, **match)
    total = attempts.aggregate(total=Sum("failures_since_start"))["total"]
    return int(total or 0)


def network_failures(ip_address: str) -> int:
    return _failures(ip_address=ip_address)


def account_challenged(request: HttpRequest, username: str) -> bool:
    """Whether a login to this e-mail must answer the challenge: it failed often lately,
    from any address (known e-mails and unknown ones alike). A pair axes has locked is
    left to axes, which answers 429."""
    if _failures(username=username) < domain.LOGIN_CHALLENGE_AFTER:
        return False
    return not AxesProxyHandler.is_locked(request, {"username": username})


def network_locked(request: HttpRequest) -> bool:
    """Whether the lock on this request is the per-address one (set by the handler)."""
    return bool(getattr(request, "zhifu_network_locked", False))


class ShopAxesHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The pair's failures, or the limit itself once the address is over its own:
        axes compares this number with AXES_FAILURE_LIMIT both before and after a try."""
        failures = int(super().get_failures(request, credentials))
        limit = int(get_failure_limit(request, credentials))
        ip_address = getattr(request, "axes_ip_address", None)
        if failures < limit and ip_address and network_failures(ip_address) >= NETWORK_LIMIT:
            request.zhifu_network_locked = True  # type: ignore[attr-defined]
            return limit
        return failures
