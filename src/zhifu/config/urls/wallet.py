from django.urls import URLPattern, URLResolver, include, path

from zhifu.config.urls import common
from zhifu.config.urls.common import handler400, handler403, handler404, handler500

urlpatterns: list[URLPattern | URLResolver] = [
    *common.urlpatterns,
    path("cards/", include("zhifu.vault.urls", namespace="cards")),
    path("pay/", include("zhifu.payments.urls", namespace="payments")),
    # The merchant REST API (zhifu.merchants; docs/api.md).
    path("api/v1/", include("zhifu.merchants.urls")),
    path("", include("zhifu.accounts.urls")),
    path("", include("zhifu.credentials.urls")),
    path("recovery/", include("zhifu.recovery.urls", namespace="recovery")),
    path("captcha/", include("captcha.urls")),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
