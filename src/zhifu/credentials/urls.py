from django.urls import URLPattern, path

from zhifu.credentials import views

app_name = "credentials"

urlpatterns: list[URLPattern] = [
    path("account/payment-password/", views.change_pin, name="change-pin"),
    path("account/security-questions/", views.change_questions, name="change-questions"),
]
