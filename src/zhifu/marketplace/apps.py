from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "zhifu.marketplace"
    label = "marketplace"
