from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    name = "zhifu.credentials"
    label = "credentials"
