from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "zhifu.security"
    label = "security"
