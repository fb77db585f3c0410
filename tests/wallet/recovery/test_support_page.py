"""The support page names the address every e-mail gives (ZHIFU_SUPPORT_EMAIL)."""

from __future__ import annotations

import pytest

from tests.wallet.recovery.support import buyer_client
from zhifu.accounts.models import Platform
from zhifu.config.site import config

pytestmark = pytest.mark.django_db


def test_the_support_page_gives_the_support_address(platform: Platform) -> None:
    _, client = buyer_client(platform)
    page = client.get("/recovery/support/").content.decode()
    support = config().env.support_email
    assert f'<a href="mailto:{support}">{support}</a>' in page
    assert "reply to any e-mail" not in page  # the e-mails are sent automatically
