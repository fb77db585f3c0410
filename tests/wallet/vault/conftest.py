from tests.wallet.vault.support import network, ring_file  # noqa: F401
