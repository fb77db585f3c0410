from django.urls import URLPattern, path
from django.views.generic import RedirectView

from zhifu.accounts import views

app_name = "accounts"

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("oidc/login/", views.oidc_login, name="oidc-login"),
    path("oidc/callback/", views.oidc_callback, name="oidc-callback"),
    path("logout/", views.logout_view, name="logout"),
    path("confirm-email/", views.confirm_email, name="confirm-email"),
    path("confirm-email/<str:token>/", views.register, name="register"),
    path("connect/", views.connect_request, name="connect-request"),
    path("connect/<str:token>/", views.connect, name="connect"),
    path("registered/", views.registered, name="registered"),
    path("account/", views.account, name="account"),
    path("account/shops/<int:identity_id>/remove/", views.remove_shop, name="remove-shop"),
    # The old name of "Forgot your payment password?" (pages built before recovery, such as
    # the cashier's, link it): recovery's form, by URL name only.
    path(
        "account/forgot-payment-password/",
        RedirectView.as_view(pattern_name="recovery:start"),
        name="forgot-payment-password",
    ),
    path("account/email/", views.change_email, name="change-email"),
    path("account/email/<str:token>/", views.email_change, name="email-change"),
]
