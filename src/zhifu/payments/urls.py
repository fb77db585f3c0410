from django.urls import URLPattern, path

from zhifu.payments import views

app_name = "payments"

urlpatterns: list[URLPattern] = [
    # Before <payment_id>/: "history" is no payment id (those start with "pay_").
    path("history/", views.history, name="history"),
    path("history/<str:payment_id>/", views.history_detail, name="history-detail"),
    path("<str:payment_id>/", views.cashier, name="cashier"),
    path("<str:payment_id>/challenge/", views.challenge_return, name="challenge"),
    path("<str:payment_id>/receipt/", views.receipt, name="receipt"),
]
