from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "zhifu.notifications"
    label = "notifications"
