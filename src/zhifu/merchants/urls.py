"""/api/v1/: ninja's views, each wrapped by :func:`api.guard`, then a typed 404 for any
other path (never Django's HTML page)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, re_path

from zhifu.merchants.api import api, guard, not_found

_patterns, _app, namespace = api.urls
app_name = namespace


def _wrapped(pattern: URLPattern | URLResolver) -> URLPattern | URLResolver:
    if isinstance(pattern, URLPattern):
        # ninja reverses "api-root" to find its prefix; its view would answer HTML.
        view = not_found if pattern.name == "api-root" else guard(pattern.callback)
        return URLPattern(pattern.pattern, view, pattern.default_args, pattern.name)
    return pattern


urlpatterns: list[URLPattern | URLResolver] = [
    *(_wrapped(p) for p in _patterns),
    re_path(r"^(?P<rest>.*)$", not_found, name="not-found"),
]
