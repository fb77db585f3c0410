from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "zhifu.vault"
    label = "vault"

    def ready(self) -> None:
        from zhifu.vault import mail  # noqa: F401 - registers the outbox handlers
