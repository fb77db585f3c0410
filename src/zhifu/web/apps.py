from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zhifu.web"
    label = "web"
