from django.urls import URLPattern, path

from zhifu.marketplace import views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("theme.css", views.theme_css, name="theme-css"),
    path("products/<slug:slug>/", views.product_detail, name="product"),
    path("products/<slug:slug>/add/", views.cart_add, name="cart-add"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/<slug:slug>/", views.cart_update, name="cart-update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.orders, name="orders"),
    path("orders/<str:number>/", views.order_detail, name="order"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<str:number>/pay/", views.order_pay, name="order-pay"),
    path("staff/orders/", views.staff_orders, name="staff-orders"),
    path("staff/orders/<str:number>/refund/", views.staff_refund, name="staff-refund"),
    path("webhooks/zhifu/", views.zhifu_webhook, name="zhifu-webhook"),
    path("signup/", views.signup, name="signup"),
    path("signup/sent/", views.signup_sent, name="signup-sent"),
    path("signup/confirm/<str:token>/", views.signup_confirm, name="signup-confirm"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("account/", views.account, name="account"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
