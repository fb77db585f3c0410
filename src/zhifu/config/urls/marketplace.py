from django.urls import URLPattern, URLResolver, include, path

from zhifu.config.urls import common

urlpatterns: list[URLPattern | URLResolver] = [
    *common.urlpatterns,
    path("", include("zhifu.marketplace.urls")),
]
