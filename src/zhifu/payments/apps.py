from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "zhifu.payments"
    label = "payments"
