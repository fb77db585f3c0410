from django.apps import AppConfig


class CardnetConfig(AppConfig):
    name = "zhifu.cardnet"
    label = "cardnet"
