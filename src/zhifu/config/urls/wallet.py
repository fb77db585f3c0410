from django.urls import URLPattern, URLResolver, include, path

from zhifu.config.urls import common

urlpatterns: list[URLPattern | URLResolver] = [
    *common.urlpatterns,
    path("cards/", include("zhifu.vault.urls", namespace="cards")),
    path("", include("zhifu.accounts.urls")),
    path("", include("zhifu.credentials.urls")),
    path("recovery/", include("zhifu.recovery.urls", namespace="recovery")),
    path("captcha/", include("captcha.urls")),
]
