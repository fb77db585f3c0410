"""Where the wallet's forms may post to sign a buyer in: each active platform's provider.

"Go to my wallet" posts to /oidc/login/, which redirects to the platform's authorization
endpoint; browsers apply the page's CSP ``form-action`` to that redirect, so the header
must list every active platform's origin (docs/security.md SEC-34). The wallet's settings
name :func:`form_action_origins` (``ZHIFU_CSP_FORM_ACTION_ORIGINS``), which
``web.middleware`` calls on every response.

The answer is kept in this process for at most ``REFRESH_S`` seconds and forgotten at once
when this process saves or deletes a platform; a platform changed by another process
(``zhifu platform add`` or ``disable``) is in every wallet process's header within
``REFRESH_S`` seconds, without a restart.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import structlog
from django.db import DatabaseError

log = structlog.get_logger(__name__)

REFRESH_S = 10.0
_HOST = re.compile(r"^[a-z0-9.-]+$")  # nothing that could end or extend a CSP directive

_lock = threading.Lock()
_cached: tuple[float, tuple[str, ...]] | None = None
_connected = False


def origin(url: str) -> str | None:
    """``scheme://host[:port]`` of an http(s) URL, or None for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname or ""
    if parts.scheme not in {"http", "https"} or not _HOST.match(host):
        return None
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def form_action_origins() -> tuple[str, ...]:
    """The origins of the active platforms' issuers and authorization endpoints."""
    global _cached, _connected
    if not _connected:
        _connect()
        _connected = True
    now = time.monotonic()
    cached = _cached
    if cached is not None and now - cached[0] < REFRESH_S:
        return cached[1]
    from zhifu.accounts.models import Platform

    try:
        rows = list(
            Platform.objects.filter(is_active=True).values_list("issuer", "authorization_endpoint")
        )
    except DatabaseError:
        log.warning("csp.platforms_unavailable")
        return cached[1] if cached is not None else ()
    found = {o for row in rows for url in row if url and (o := origin(url))}
    value = tuple(sorted(found))
    with _lock:
        _cached = (now, value)
    return value


def forget(**_: Any) -> None:
    """A platform changed in this process: the next response computes the origins anew."""
    global _cached
    with _lock:
        _cached = None


def _connect() -> None:
    # Connected when the middleware loads this module (the settings name it), so in every
    # process that serves pages; no app's ready() registers anything by side effect.
    from django.db.models.signals import post_delete, post_save

    from zhifu.accounts.models import Platform

    post_save.connect(forget, sender=Platform, dispatch_uid="csp-platform-saved")
    post_delete.connect(forget, sender=Platform, dispatch_uid="csp-platform-deleted")
