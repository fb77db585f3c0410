"""The wallet's cookies live by Max-Age, never by an Expires date alone (tests/harness/cookies)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.harness.cookies import dated_without_max_age
from tests.wallet.accounts.support import new_buyer, sign_in

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


def test_every_wallet_cookie_carries_max_age(client: Client) -> None:
    responses = [client.get("/")]
    sign_in(client, new_buyer("anna@example.com"))
    responses += [client.get("/"), client.get("/account/"), client.post("/logout/")]
    names = {name for r in responses for name in r.cookies}
    assert {"zhifu_wallet_csrf", "zhifu_wallet_session"} <= names
    assert dated_without_max_age(r.cookies for r in responses) == []
