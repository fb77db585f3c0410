"""The buyer's security log and the operators' append-only audit trail."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tests.wallet.accounts.support import sso
from tests.wallet.recovery.support import buyer_client
from zhifu.accounts.models import Platform
from zhifu.security import domain
from zhifu.security import services as security
from zhifu.security.domain import EventKind
from zhifu.security.models import AppendOnly, SecurityEvent

pytestmark = pytest.mark.django_db
CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Safari/537.36"
)


def test_a_sign_in_is_logged_with_its_shop_network_and_browser(
    client: Client, platform: Platform, provider: object
) -> None:
    client.defaults.update(REMOTE_ADDR="203.0.113.57", HTTP_USER_AGENT=CHROME)
    resp = sso(client, provider, "")  # type: ignore[arg-type]
    assert resp.status_code == 302
    event = SecurityEvent.objects.get(kind=EventKind.SIGNED_IN)
    assert (event.shop, event.ip, domain.browser_family(event.user_agent)) == (
        "Test shop",
        "203.0.113.57",
        "Chrome",
    )


def test_the_page_shows_networks_not_addresses_newest_first(platform: Platform) -> None:
    user, client = buyer_client(platform)
    token = security.set_origin("203.0.113.57", CHROME)
    try:
        for _ in range(25):
            security.record(user, EventKind.PIN_WRONG)
        security.record(user, EventKind.CARD_ADDED, detail="4242", shop="Test shop")
    finally:
        security.reset_origin(token)
    page = client.get("/recovery/log/").content.decode()
    assert "203.0.113.0/24" in page
    assert "203.0.113.57" not in page
    assert "Chrome" in page
    assert page.index("Card added (ending in 4242)") < page.index("Wrong payment password")
    assert "Page 1 of 2" in page
    assert "Page 2 of 2" in client.get("/recovery/log/?page=2").content.decode()
    assert client.get("/recovery/log/?page=zz").status_code == 200


def test_another_buyers_events_are_not_shown(platform: Platform) -> None:
    other, _ = buyer_client(platform, "other@example.com")
    security.record(other, EventKind.CARD_DELETED, detail="1111")
    _, client = buyer_client(platform, "me@example.com")
    assert "1111" not in client.get("/recovery/log/").content.decode()


def test_the_log_is_append_only(platform: Platform) -> None:
    user, _ = buyer_client(platform)
    security.record(user, EventKind.PIN_OK)
    event = SecurityEvent.objects.get()
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.filter(pk=event.pk).update(kind="x")
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.all().delete()
    table = SecurityEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET kind = 'x'")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # on SQLite as on PostgreSQL
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert SecurityEvent.objects.get().kind == EventKind.PIN_OK


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("203.0.113.57", "203.0.113.0/24"),
        ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
        ("::ffff:198.51.100.9", "198.51.100.0/24"),
        ("not an address", ""),
    ],
)
def test_addresses_are_shown_by_network(address: str, shown: str) -> None:
    assert domain.display_network(address) == shown


def test_browser_families() -> None:
    assert domain.browser_family(CHROME) == "Chrome"
    assert domain.browser_family("Mozilla/5.0 (X11; rv:132.0) Gecko/20100101 Firefox/132.0") == (
        "Firefox"
    )
    assert domain.browser_family(CHROME + " Edg/130.0") == "Edge"
    assert domain.browser_family("curl/8") == ""
