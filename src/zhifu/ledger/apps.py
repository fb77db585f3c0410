from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "zhifu.ledger"
    label = "ledger"
