"""Security headers on every response (docs/security.md SEC-34), and the API's own stack."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, get_resolver
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


class ApiMiddleware:
    """Requests under ``ZHIFU_API_PREFIX`` (the wallet's merchant API, /api/v1/) go through
    the API's own short stack, ``ZHIFU_API_MIDDLEWARE``, instead of the pages' one.

    A Bearer-key API needs no session, CSRF token, language, time zone, signed-in user,
    flash messages, e-mail gate or error page (it answers its own JSON envelope): that
    work was about a quarter of a read's CPU (docs/performance.md). Placed after the
    security headers' middleware, so the API's answers keep every header pages get; the
    host is checked against ALLOWED_HOSTS as CommonMiddleware checks it for pages. A path
    under the prefix that the URLconf does not resolve goes the pages' way.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.core.handlers.exception import convert_exception_to_response

        self.get_response = get_response
        self.prefix: str = settings.ZHIFU_API_PREFIX
        handler = convert_exception_to_response(self._view)
        for path in reversed(settings.ZHIFU_API_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self.api = cast(Callable[[HttpRequest], HttpResponse], handler)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        try:
            match = get_resolver(getattr(request, "urlconf", None)).resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        request.resolver_match = match
        return self.api(request)

    def _view(self, request: HttpRequest) -> HttpResponse:
        request.get_host()  # DisallowedHost (400) for a host not in ALLOWED_HOSTS (SEC-20)
        match = request.resolver_match
        assert match is not None
        response: HttpResponse = match.func(request, *match.args, **match.kwargs)
        return response
