from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "zhifu.notifications"
    label = "notifications"

    def ready(self) -> None:
        from zhifu.notifications import services  # noqa: F401 - registers the outbox handler
