from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "zhifu.recovery"
    label = "recovery"
