"""URL patterns every site has: health check, language switch, demo mailbox."""

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
