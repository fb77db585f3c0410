from tests.wallet.accounts.support import _send_on_commit_at_once, platform, provider  # noqa: F401
