from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "zhifu.outbox"
    label = "outbox"
