from tests.wallet.payments.support import buyer, light_buyer, network, shop  # noqa: F401
