from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "zhifu.webhooks"
    label = "webhooks"
