"""Security headers on every response (docs/security.md SEC-34)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
        urls = cfg.urls
        # Forms may post to the other sites (SSO, cashier return) and nowhere else.
        self.csp = CSP.format(forms=" ".join(sorted(set(urls.values()))))
        self.hsts = f"max-age={cfg.hsts_seconds}; includeSubDomains"

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Strict-Transport-Security", self.hsts)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
