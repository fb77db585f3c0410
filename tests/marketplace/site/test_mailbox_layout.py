"""The shop's demo mailbox keeps the shop's header, cart and menu (issue 14, P24)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


@override_settings(EMAIL_BACKEND="zhifu.web.mail.EmlFileBackend")
def test_the_shops_mailbox_is_in_the_shops_layout(client: Client) -> None:
    mail.send_mail("Finish creating your account", "Text", None, ["buyer@example.com"])
    html = client.get("/_dev/mail/").content.decode()
    assert 'class="cart-link"' in html
    assert "account-menu" in html
    assert '<table class="mailbox">' in html
