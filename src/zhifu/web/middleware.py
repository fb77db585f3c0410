"""Security headers on every response (docs/security.md SEC-34)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from zhifu.config.site import config

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self' {forms}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    """CSP with frame-ancestors, HSTS on every response, no-store for signed-in pages.

    Django's SecurityMiddleware sends HSTS only over https; behind a TLS-terminating proxy
    the app may see plain http, so the header is set here unconditionally (browsers ignore
    it on http anyway).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        cfg = config()
        # Forms may post to the other sites (SSO, cashier return), to the origins a site's
        # setting ZHIFU_CSP_FORM_ACTION_ORIGINS names (a function asked on every response:
        # the wallet's platforms, which change while it runs) and nowhere else.
        self.sites = frozenset(cfg.urls.values())
        path = getattr(settings, "ZHIFU_CSP_FORM_ACTION_ORIGINS", None)
        self.more_origins: Callable[[], tuple[str, ...]] = import_string(path) if path else tuple
        self.hsts = f"max-age={cfg.hsts_seconds}; includeSubDomains"

    def csp(self) -> str:
        return CSP.format(forms=" ".join(sorted(self.sites.union(self.more_origins()))))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            response.headers["Content-Security-Policy"] = self.csp()
        response.headers.setdefault("Strict-Transport-Security", self.hsts)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
