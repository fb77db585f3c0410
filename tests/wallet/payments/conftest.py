from tests.wallet.payments.support import buyer, light_buyer, losing, network, shop  # noqa: F401
