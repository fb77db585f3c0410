from django.urls import URLPattern, URLResolver, include, path

from zhifu.config.urls import common
from zhifu.config.urls.common import handler400, handler403, handler404, handler500

urlpatterns: list[URLPattern | URLResolver] = [
    *common.urlpatterns,
    path("", include("zhifu.cardnet.urls")),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
