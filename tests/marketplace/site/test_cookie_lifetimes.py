"""The shop's cookies live by Max-Age, never by an Expires date alone (tests/harness/cookies)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.harness.cookies import dated_without_max_age
from tests.marketplace.conftest import finish_sign_up

pytestmark = pytest.mark.django_db


def test_every_shop_cookie_carries_max_age(client: Client) -> None:
    sign_up = {
        "name": "Ivan",
        "email": "i@example.org",
        "password": "amber-violin-7",
        "locale": "ru",
    }
    responses = [client.get("/login/"), client.post("/signup/", sign_up)]
    responses.append(finish_sign_up(client, "i@example.org"))
    responses += [client.get("/orders/"), client.post("/i18n/setlang/", {"language": "en"})]
    names = {name for r in responses for name in r.cookies}
    assert {"zhifu_marketplace_csrf", "zhifu_marketplace_session", "zhifu_marketplace_lang"} <= (
        names
    )
    assert dated_without_max_age(r.cookies for r in responses) == []
