from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "zhifu.vault"
    label = "vault"
