"""A link problem never says the opposite of its button (issue 14, P22)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.wallet.accounts.support import new_buyer, registered_buyer, sign_in
from zhifu.accounts.models import Platform

pytestmark = pytest.mark.django_db


def test_a_bad_link_for_a_confirmed_wallet_says_there_is_nothing_to_confirm(
    client: Client, platform: Platform
) -> None:
    sign_in(client, registered_buyer(), platform)
    response = client.get("/confirm-email/not-a-real-token-0000000000/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Your e-mail is already confirmed: you no longer need this link." in html
    assert "Send a new confirmation e-mail" not in html
    assert 'href="/account/" role="button">Go to my account</a>' in html


def test_a_bad_link_for_an_unconfirmed_wallet_still_offers_a_new_e_mail(
    client: Client, platform: Platform
) -> None:
    sign_in(client, new_buyer(), platform)
    html = client.get("/confirm-email/not-a-real-token-0000000000/").content.decode()
    assert "This link is not valid. Send a new confirmation e-mail." in html
    assert 'href="/confirm-email/" role="button">Send a new confirmation e-mail</a>' in html
