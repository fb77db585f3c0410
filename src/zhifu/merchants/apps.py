from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "zhifu.merchants"
    label = "merchants"
