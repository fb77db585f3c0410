"""Sets the request's :class:`~zhifu.security.services.Origin` for the security log."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zhifu.security import services
from zhifu.web.client_ip import client_ip


class OriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = services.set_origin(client_ip(request), request.META.get("HTTP_USER_AGENT", ""))
        try:
            return self.get_response(request)
        finally:
            services.reset_origin(token)
