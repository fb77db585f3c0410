"""Secret API keys (issue 11, merchant API item 1): `zhifu platform keys create|list|revoke`,
stored only as a keyed hash with a short prefix, several per platform, revocable, the
last-used time written at most once a minute; and authenticating a request with one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import math
import re
from typing import Any

import pytest
import time_machine
from django.db import connection

from tests.wallet.merchants.support import new_key, new_platform
from zhifu import cli
from zhifu.accounts.models import Platform
from zhifu.config.runtime import CommandError
from zhifu.config.site import config
from zhifu.kernel import clock
from zhifu.merchants import commands, domain, services
from zhifu.merchants.domain import Mode
from zhifu.merchants.errors import (
    ApiKeyInvalid,
    ApiKeyUnknown,
    AuthenticationRequired,
    PlatformDisabled,
    PlatformUnknown,
    RateLimited,
)
from zhifu.merchants.models import ApiKey

pytestmark = pytest.mark.django_db

KEY = re.compile(r"sk_(test|live)_[0-9A-Za-z]{43}")


def run(*argv: str) -> None:
    args = cli.build_parser().parse_args(["platform", "keys", *argv])
    {"create": commands.run_create, "list": commands.run_list, "revoke": commands.run_revoke}[
        args.keys_command
    ](args)


def test_a_key_has_at_least_192_random_bits_and_its_mode_in_its_prefix() -> None:
    keys = {domain.new_secret_key(Mode.TEST) for _ in range(50)}
    assert len(keys) == 50
    for key in keys:
        assert KEY.fullmatch(key)
        assert key.startswith("sk_test_")
    assert domain.KEY_RANDOM_CHARS * math.log2(len(domain.KEY_ALPHABET)) >= 192
    assert domain.new_secret_key(Mode.LIVE).startswith("sk_live_")
    assert domain.parse_secret_key("sk_test_short") is None
    assert domain.parse_secret_key("sk_prod_" + "a" * 43) is None


def test_create_prints_the_key_once_and_stores_only_its_keyed_hash(
    shop: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    run("create", "shop-a", "--name", "web shop")
    out = capsys.readouterr().out
    printed = [m.group(0) for m in KEY.finditer(out)]
    assert len(printed) == 1
    key = printed[0]
    row = ApiKey.objects.get()
    assert row.platform == shop
    assert not row.livemode
    assert row.name == "web shop"
    assert row.prefix == key[:14]
    hash_key = config().secret("api_key_hash_key").reveal().encode()
    assert row.digest == hmac.new(hash_key, key.encode(), hashlib.sha256).hexdigest()
    assert row.digest != hashlib.sha256(key.encode()).hexdigest()  # keyed, not a plain hash

    # Nowhere in the database in clear: a dump of every table holds the prefix, never the key.
    with connection.cursor() as cursor:
        dumped = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            dumped += [str(v) for r in cursor.fetchall() for v in r]
    assert any(row.prefix in v for v in dumped)
    assert not any(key in v or key[14:] in v for v in dumped)

    run("list", "shop-a")
    listing = capsys.readouterr().out
    assert row.id in listing
    assert row.prefix in listing
    assert key not in listing
    assert "active" in listing
    assert "last used never" in listing


def test_several_keys_per_platform_each_revocable(shop: Platform) -> None:
    first = services.create_key("shop-a")
    second = services.create_key("shop-a", mode=Mode.LIVE)
    assert second.secret.reveal().startswith("sk_live_")
    assert [k.id for k in services.list_keys("shop-a")] == [first.info.id, second.info.id]
    assert services.authenticate(f"Bearer {first.secret.reveal()}").key_id == first.info.id
    caller = services.authenticate(f"Bearer {second.secret.reveal()}")
    assert caller.livemode
    assert caller.platform == shop

    revoked = services.revoke_key("shop-a", first.info.id)
    assert revoked.revoked_at is not None
    with pytest.raises(ApiKeyInvalid):
        services.authenticate(f"Bearer {first.secret.reveal()}")
    # The other key still works; revoking twice changes nothing.
    assert services.authenticate(f"Bearer {second.secret.reveal()}").key_id == second.info.id
    assert services.revoke_key("shop-a", first.info.id).revoked_at == revoked.revoked_at


def test_revoke_names_only_the_platforms_own_keys(
    shop: Platform, other_shop: Platform, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = services.create_key("shop-b")
    with pytest.raises(CommandError, match="no API key"):
        run("revoke", "shop-a", theirs.info.id)
    assert services.authenticate(f"Bearer {theirs.secret.reveal()}")
    run("revoke", "shop-b", theirs.info.id)
    assert "revoked" in capsys.readouterr().out
    with pytest.raises(ApiKeyUnknown):
        services.revoke_key("shop-a", "key_nonexistent")


def test_commands_refuse_an_unknown_platform(db: Any) -> None:
    for argv in (("create", "nope"), ("list", "nope"), ("revoke", "nope", "key_x")):
        with pytest.raises(CommandError, match="No platform 'nope'"):
            run(*argv)
    with pytest.raises(PlatformUnknown):
        services.create_key("nope")


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic c2tfdGVzdF86", "sk_test_abc", "Token abc"],
)
def test_no_bearer_key_is_authentication_required(header: str | None) -> None:
    with pytest.raises(AuthenticationRequired) as caught:
        services.authenticate(header)
    assert caught.value.http_status == 401


def test_unknown_malformed_and_revoked_keys_are_one_answer(shop: Platform) -> None:
    key = new_key("shop-a")
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    for value in (forged, "sk_test_" + "0" * 43, key + "x", key.upper(), "sk_test_ü"):
        with pytest.raises(ApiKeyInvalid):
            services.authenticate(f"Bearer {value}")
    # The scheme is case-insensitive, surrounding blanks ignored.
    assert services.authenticate(f"bearer   {key}  ").platform == shop


def test_a_disabled_platforms_keys_are_refused(db: Any) -> None:
    new_platform("paused", active=False)
    key = new_key("paused")
    with pytest.raises(PlatformDisabled):
        services.authenticate(f"Bearer {key}")


def test_last_used_is_written_at_most_once_a_minute(
    shop: Platform, django_assert_max_num_queries: Any
) -> None:
    key = new_key("shop-a")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        services.authenticate(f"Bearer {key}")
    row = ApiKey.objects.get()
    assert row.last_used_at == start
    # Within the minute: one read, no write.
    soon = start + dt.timedelta(seconds=59)
    with time_machine.travel(soon, tick=False), django_assert_max_num_queries(1):
        services.authenticate(f"Bearer {key}")
    row.refresh_from_db()
    assert row.last_used_at == start
    later = start + dt.timedelta(seconds=61)
    with time_machine.travel(later, tick=False):
        services.authenticate(f"Bearer {key}")
    row.refresh_from_db()
    assert row.last_used_at == later


def test_the_rate_limit_counts_per_key_per_minute(shop: Platform, settings: Any) -> None:
    cfg = config()
    settings.ZHIFU = dataclasses.replace(cfg, env=cfg.env.model_copy(update={"api_rate_limit": 3}))
    busy = services.authenticate(f"Bearer {new_key('shop-a')}")
    calm = services.authenticate(f"Bearer {new_key('shop-a')}")
    start = clock.now().replace(second=10, microsecond=0)
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            services.admit(busy)
        with pytest.raises(RateLimited) as caught:
            services.admit(busy)
        assert caught.value.retry_after == 50
        assert caught.value.http_status == 429
        services.admit(calm)  # another key of the same platform has its own count
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        services.admit(busy)  # a new minute, a new count


def test_old_rate_windows_and_idempotency_records_are_forgotten(shop: Platform) -> None:
    caller = services.authenticate(f"Bearer {new_key('shop-a')}")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        services.admit(caller)
    records, windows = services.forget(start + dt.timedelta(minutes=5))
    assert windows == 1
    assert records == 0


def test_a_key_is_read_from_the_database_at_most_every_few_seconds(
    shop: Platform, django_assert_num_queries: Any
) -> None:
    key = new_key("shop-a")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        services.authenticate(f"Bearer {key}")
        with django_assert_num_queries(0):
            services.authenticate(f"Bearer {key}")
    with (
        time_machine.travel(start + services.KEY_CACHE_FOR, tick=False),
        django_assert_num_queries(1),
    ):
        services.authenticate(f"Bearer {key}")


def test_a_revocation_takes_effect_at_once_here_and_within_the_cache_time_elsewhere(
    shop: Platform,
) -> None:
    here, elsewhere = new_key("shop-a"), new_key("shop-a")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        for key in (here, elsewhere):
            services.authenticate(f"Bearer {key}")  # both cached
        # Revoked in this process: refused on the next request.
        services.revoke_key("shop-a", services.authenticate(f"Bearer {here}").key_id)
        with pytest.raises(ApiKeyInvalid):
            services.authenticate(f"Bearer {here}")
        # Revoked by another process (this one's cache does not hear of it) ...
        services.authenticate(f"Bearer {elsewhere}")
        ApiKey.objects.filter(revoked_at__isnull=True).update(revoked_at=start)
    # ... refused here once the cached row is older than KEY_CACHE_FOR.
    with (
        time_machine.travel(start + services.KEY_CACHE_FOR, tick=False),
        pytest.raises(ApiKeyInvalid),
    ):
        services.authenticate(f"Bearer {elsewhere}")


def test_a_platform_disabled_elsewhere_is_refused_within_the_cache_time(shop: Platform) -> None:
    key = new_key("shop-a")
    start = clock.now()
    with time_machine.travel(start, tick=False):
        services.authenticate(f"Bearer {key}")
        Platform.objects.filter(pk=shop.pk).update(is_active=False)
    with (
        time_machine.travel(start + services.KEY_CACHE_FOR, tick=False),
        pytest.raises(PlatformDisabled),
    ):
        services.authenticate(f"Bearer {key}")


def test_unknown_keys_are_not_cached(shop: Platform) -> None:
    for n in range(services.KEY_CACHE_SIZE + 5):
        with pytest.raises(ApiKeyInvalid):
            services.authenticate(f"Bearer sk_test_{n:043d}")
    assert not services._cached_keys
