from django.apps import AppConfig


class FxConfig(AppConfig):
    name = "zhifu.fx"
    label = "fx"
