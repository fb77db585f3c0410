from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhifu.accounts"
    label = "accounts"
