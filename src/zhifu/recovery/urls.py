from django.urls import URLPattern, path

from zhifu.recovery import views

app_name = "recovery"

urlpatterns: list[URLPattern] = [
    path("", views.start, name="start"),
    path("captcha/", views.new_captcha, name="captcha"),
    path("sent/", views.sent, name="sent"),
    path("link/<str:token>/", views.link, name="link"),
    path("questions/", views.questions, name="questions"),
    path("new-password/", views.new_password, name="new-password"),
    path("done/", views.done, name="done"),
    path("support/", views.support, name="support"),
    path("freeze/<str:token>/", views.freeze_link, name="freeze-link"),
    path("freeze/", views.freeze, name="freeze"),
    path("log/", views.security_log, name="security-log"),
    path("log/freeze/", views.freeze_now, name="freeze-now"),
    path("confirm/", views.confirm_request, name="confirm"),
    path("confirm/<str:token>/", views.confirm_link, name="confirm-link"),
    path("confirmed/", views.confirm_done, name="confirmed"),
]
