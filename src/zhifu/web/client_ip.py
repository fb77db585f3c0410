"""The client's address for rate limits and lockouts, on every site.

REMOTE_ADDR is the proxy's address behind a reverse proxy; X-Forwarded-For counts only
when REMOTE_ADDR is one of settings.ZHIFU_TRUSTED_PROXIES (ZHIFU_TRUSTED_PROXIES).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from zhifu.kernel.client_ip import client_address


def client_ip(request: HttpRequest) -> str:
    return client_address(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        getattr(settings, "ZHIFU_TRUSTED_PROXIES", ()),
    )
