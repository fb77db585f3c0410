from tests.wallet.accounts.support import _send_on_commit_at_once, platform, provider  # noqa: F401
from tests.wallet.payments.support import buyer, light_buyer, losing, network, shop  # noqa: F401
