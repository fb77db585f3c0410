from django.urls import URLPattern, URLResolver, include, path

from zhifu.config.urls import common
from zhifu.config.urls.common import handler400, handler403, handler404, handler500
from zhifu.marketplace import views as marketplace_views

urlpatterns: list[URLPattern | URLResolver] = [
    # Before common's i18n/: the shop also keeps a signed-in buyer's language choice.
    path("i18n/setlang/", marketplace_views.set_language, name="set_language"),
    *common.urlpatterns,
    path("o/", include("zhifu.marketplace.oidc_urls")),
    path("", include("zhifu.marketplace.urls")),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
