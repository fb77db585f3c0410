"""URL patterns every site has: health check, language switch, demo mailbox; and the
error pages' views, which each site's URLconf names (``handler404 = common.handler404``…)."""

from django.urls import URLPattern, URLResolver, include, path

from zhifu.config.site import config
from zhifu.web import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
]

if config().demo:
    urlpatterns += [
        path("_dev/mail/", views.dev_mailbox, name="dev-mailbox"),
        path("_dev/mail/<str:name>", views.dev_mail_message, name="dev-mail-message"),
        path("_dev/mail/<str:name>/html", views.dev_mail_html, name="dev-mail-html"),
    ]

# Django looks these up on the root URLconf; each site's module imports them from here.
handler400 = "zhifu.web.errors.bad_request"
handler403 = "zhifu.web.errors.permission_denied"
handler404 = "zhifu.web.errors.page_not_found"
handler500 = "zhifu.web.errors.server_error"
