from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "zhifu.outbox"
    label = "outbox"

    def ready(self) -> None:
        # Every app registers its outbox handlers in its own `handlers` module; import them
        # all so `zhifu worker` knows every topic.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("handlers")
