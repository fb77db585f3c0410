"""Use cases of the merchant API: platforms' secret keys, authenticating a request, the
per-key rate limit, and idempotency keys (docs/api.md). Each owns its transaction."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from zhifu.accounts import services as accounts
from zhifu.config.site import config
from zhifu.db import insert, run_one_statement, update_where
from zhifu.kernel import clock, ids
from zhifu.kernel.errors import Refusal
from zhifu.kernel.secret import Secret
from zhifu.merchants import domain
from zhifu.merchants.domain import Held, Mode, StoredResponse
from zhifu.merchants.errors import (
    ApiKeyInvalid,
    ApiKeyUnknown,
    AuthenticationRequired,
    IdempotencyKeyInUse,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
    PlatformDisabled,
    PlatformUnknown,
    RateLimited,
)
from zhifu.merchants.models import ApiKey, IdempotencyRecord, RateWindow

log = logging.getLogger(__name__)

# Deleting old idempotency records and rate windows runs at most this often per process,
# not on every request (a hot path); rows a day old can wait a few more minutes.
FORGET_EVERY = dt.timedelta(minutes=10)
_forgotten_at: dt.datetime | None = None

# A key's row (its platform, mode, revocation) is read from the database at most this often
# per process, not on every request: a revocation or a disabled platform takes effect in
# this process at once and in the others within this time (docs/api.md).
KEY_CACHE_FOR = dt.timedelta(seconds=5)
KEY_CACHE_SIZE = 1024


# --- keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInfo:
    """A key as listings show it: never the key, only its prefix."""

    id: str
    platform_slug: str
    prefix: str
    livemode: bool
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class NewKey:
    info: KeyInfo
    secret: Secret  # shown once, to whoever created it


def _info(row: ApiKey, slug: str) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        platform_slug=slug,
        prefix=row.prefix,
        livemode=row.livemode,
        name=row.name,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _hash_key() -> bytes:
    return config().secret("api_key_hash_key").reveal().encode()


def _platform(slug: str) -> Any:
    platform = accounts.platform_by_slug(slug)
    if platform is None:
        raise PlatformUnknown(slug)
    return platform


def create_key(slug: str, *, mode: Mode = Mode.TEST, name: str = "") -> NewKey:
    """A new secret key for the platform; it is returned once and stored only hashed."""
    platform = _platform(slug)
    key = domain.new_secret_key(mode)
    row = ApiKey.objects.create(
        id=ids.new_id("key"),
        platform=platform,
        digest=domain.key_digest(_hash_key(), key),
        prefix=domain.key_prefix(key),
        livemode=mode is Mode.LIVE,
        name=name[:100],
    )
    return NewKey(_info(row, slug), Secret(key))


def adopt_key(slug: str, key: str, *, name: str) -> KeyInfo:
    """Register a key made elsewhere (the demo shop's, kept in the demo's secrets folder);
    nothing happens if it is registered already."""
    mode = domain.parse_secret_key(key)
    if mode is None:
        raise ValueError("not a secret API key")
    platform = _platform(slug)
    digest = domain.key_digest(_hash_key(), key)
    row, _ = ApiKey.objects.get_or_create(
        digest=digest,
        defaults={
            "id": ids.new_id("key"),
            "platform": platform,
            "prefix": domain.key_prefix(key),
            "livemode": mode is Mode.LIVE,
            "name": name,
        },
    )
    return _info(row, slug)


def list_keys(slug: str) -> list[KeyInfo]:
    platform = _platform(slug)
    rows = ApiKey.objects.filter(platform=platform).order_by("created_at", "id")
    return [_info(row, slug) for row in rows]


def revoke_key(slug: str, key_id: str) -> KeyInfo:
    """Revoke one of the platform's keys; the next request with it gets 401. Revoking a
    revoked key changes nothing."""
    platform = _platform(slug)
    with transaction.atomic():
        row = ApiKey.objects.select_for_update().filter(platform=platform, id=key_id).first()
        if row is None:
            raise ApiKeyUnknown(key_id)
        if row.revoked_at is None:
            row.revoked_at = clock.now()
            row.save(update_fields=["revoked_at"])
    forget_cached_keys()
    return _info(row, slug)


# --- authentication and the rate limit ---------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """The platform a request authenticated as, and with which key."""

    platform: Any  # accounts' Platform row, what payments.services takes
    key_id: str
    livemode: bool


def authenticate(authorization: str | None) -> Caller:
    """The caller of ``Authorization: Bearer sk_…``, or a 401 refusal."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationRequired()
    token = token.strip()
    if domain.parse_secret_key(token) is None:
        raise ApiKeyInvalid()
    digest = domain.key_digest(_hash_key(), token)
    now = clock.now()
    row = _key_row(digest, now)
    if row is None or not domain.digests_match(row.digest, digest) or row.revoked_at:
        raise ApiKeyInvalid()
    if not row.platform.is_active:
        raise PlatformDisabled()
    if domain.last_used_stale(row.last_used_at, now):
        row.last_used_at = now  # the cached row too: this process writes it once a minute
        # At most one write a minute per key, whatever the traffic (the filter keeps
        # concurrent requests of other processes from writing it again).
        ApiKey.objects.filter(pk=row.pk).filter(
            Q(last_used_at__isnull=True)
            | Q(last_used_at__lt=now - domain.LAST_USED_EVERY)
            | Q(last_used_at__gt=now)
        ).update(last_used_at=now)
    return Caller(platform=row.platform, key_id=row.id, livemode=row.livemode)


# digest -> (the key's row with its platform, or None for no such key; when it was read).
# Keyed by the keyed hash, never the key; each process has its own.
_cached_keys: dict[str, tuple[ApiKey | None, dt.datetime]] = {}


def _key_row(digest: str, now: dt.datetime) -> ApiKey | None:
    cached = _cached_keys.get(digest)
    if cached is not None and cached[1] <= now < cached[1] + KEY_CACHE_FOR:
        return cached[0]  # a clock set back (as in tests) counts as stale
    row = ApiKey.objects.select_related("platform").filter(digest=digest).first()
    if row is not None:  # unknown keys are not cached: guessing cannot fill the cache
        if len(_cached_keys) >= KEY_CACHE_SIZE:
            _cached_keys.clear()
        _cached_keys[digest] = (row, now)
    return row


def forget_cached_keys() -> None:
    """Read every key from the database again (a key revoked, a platform disabled)."""
    _cached_keys.clear()


_UPSERTS: dict[str, str] = {}  # the rate limit's upsert, per database vendor


def _upsert_sql() -> str:
    table = connection.ops.quote_name(RateWindow._meta.db_table)
    count = connection.ops.quote_name("count")
    sql = _UPSERTS[connection.vendor] = (
        f"INSERT INTO {table} (api_key_id, minute, {count}) VALUES (%s, %s, 1) "  # noqa: S608 - names from the model
        f"ON CONFLICT (api_key_id, minute) DO UPDATE SET {count} = {table}.{count} + 1 "
        f"RETURNING {count}"
    )
    return sql


def admit(caller: Caller) -> None:
    """Count the request against its key's limit for this minute; 429 past it.

    One upsert per request (not a read then a write), so concurrent requests in several
    processes count exactly."""
    now = clock.now()
    minute = domain.rate_window(now)
    sql = _UPSERTS.get(connection.vendor) or _upsert_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [caller.key_id, minute])
        (used,) = cursor.fetchone()
    _forget_now_and_then(now)
    if used > config().env.api_rate_limit:
        raise RateLimited(domain.retry_after(now))


# --- idempotency ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What an idempotent request answers; ``replayed`` when it is the stored first answer."""

    response: StoredResponse
    replayed: bool = False


@dataclass(frozen=True)
class _Claim:
    record_id: int
    token: str


Operation = Callable[[], tuple[int, dict[str, Any]]]
RenderRefusal = Callable[[Refusal], tuple[int, dict[str, Any]]]


def idempotent(
    caller: Caller,
    key: str | None,
    fingerprint: str,
    operation: Operation,
    *,
    render: RenderRefusal,
    atomic: bool,
) -> Outcome:
    """Run ``operation`` once per idempotency key (Stripe's rules, docs/api.md).

    The first answer, success or refusal, is stored and replayed for the same key, the same
    platform and mode and the same request; another request with the key is refused (422),
    and so is one arriving while the first still runs (409). ``atomic`` puts the operation's
    writes and the stored answer in one transaction (the use case calls no network), so a
    request killed mid-way leaves nothing but a claim whose lease runs out. Otherwise (a
    use case that records its network call before making it) the answer is stored after it.

    An unexpected exception, or a refusal of the server's (5xx: the card network was not
    reached, nothing was done), gives the key up instead, so a retry runs the operation
    again rather than replaying the failure.
    """
    if key is None:
        return Outcome(_run(operation, render, atomic=atomic))
    if not domain.idempotency_key_valid(key):
        raise IdempotencyKeyInvalid()
    found = _claim(caller, key, fingerprint)
    if isinstance(found, StoredResponse):
        return Outcome(found, replayed=True)
    try:
        if atomic:
            return Outcome(_run_and_store_atomically(found, operation, render))
        response = _run(operation, render, atomic=False)
        if domain.replayable(response.status):
            if not _store(found, response):
                log.warning("idempotency lease lost before storing: %s", found.record_id)
        else:
            _release(found)
        return Outcome(response)
    except IdempotencyKeyInUse:
        raise
    except BaseException:
        _release(found)
        raise


def _run(operation: Operation, render: RenderRefusal, *, atomic: bool) -> StoredResponse:
    try:
        if atomic:
            with transaction.atomic():
                status, body = operation()
        else:
            status, body = operation()
    except Refusal as refusal:
        status, body = render(refusal)
    return StoredResponse(status, body)


def _run_and_store_atomically(
    claim: _Claim, operation: Operation, render: RenderRefusal
) -> StoredResponse:
    with transaction.atomic():
        # PostgreSQL: a retry taking the key over after our lease waits for this row until
        # we commit, then finds the answer. Everywhere: the conditional write below rolls
        # everything back if the key was taken over meanwhile.
        held = IdempotencyRecord.objects.select_for_update().filter(
            pk=claim.record_id, token=claim.token, state=Held.RUNNING
        )
        if not held.exists():
            raise IdempotencyKeyInUse()
        response = _run(operation, render, atomic=True)  # a savepoint: a refusal undoes it
        if not domain.replayable(response.status):
            _release(claim)
        elif not _store(claim, response):
            raise IdempotencyKeyInUse()
        return response


def _claim(caller: Caller, key: str, fingerprint: str) -> _Claim | StoredResponse:
    now = clock.now()
    _forget_now_and_then(now)
    scope = {"platform": caller.platform, "livemode": caller.livemode, "key": key}
    for _ in range(3):  # a record may vanish between two reads (given up, forgotten)
        token = secrets.token_hex(16)
        try:
            # Committed at once, on its own (one INSERT, no BEGIN/COMMIT around it), so a
            # concurrent retry finds the key held (409) rather than waiting for us.
            fields = {
                **scope,
                "fingerprint": fingerprint,
                "token": token,
                "lease_until": now + domain.IDEMPOTENCY_LEASE,
            }
            row = run_one_statement(partial(insert, IdempotencyRecord(**fields)))
            return _Claim(row.pk, token)
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(**scope).first()
        if existing is None:
            continue
        if not domain.digests_match(existing.fingerprint, fingerprint):
            raise IdempotencyKeyReused()
        if existing.state == Held.DONE:
            assert existing.response_status is not None
            assert existing.response_body is not None
            return StoredResponse(existing.response_status, existing.response_body)
        if not domain.lease_expired(existing.lease_until, now):
            raise IdempotencyKeyInUse()
        # The request holding it died (or overran its lease): take the key over.
        taken = IdempotencyRecord.objects.filter(
            pk=existing.pk, token=existing.token, state=Held.RUNNING
        ).update(token=token, lease_until=now + domain.IDEMPOTENCY_LEASE)
        if taken:
            return _Claim(existing.pk, token)
    raise IdempotencyKeyInUse()


def _store(claim: _Claim, response: StoredResponse) -> bool:
    # SQL built once (zhifu.db.update_where): every POST stores its answer.
    stored = update_where(
        IdempotencyRecord,
        claim.record_id,
        {"state": Held.DONE, "response_status": response.status, "response_body": response.body},
        {"token": claim.token, "state": Held.RUNNING},
    )
    return bool(stored)


def _release(claim: _Claim) -> None:
    IdempotencyRecord.objects.filter(
        pk=claim.record_id, token=claim.token, state=Held.RUNNING
    ).delete()


def _forget_now_and_then(now: dt.datetime) -> None:
    global _forgotten_at
    last = _forgotten_at
    if last is not None and last <= now < last + FORGET_EVERY:
        return  # done recently (a clock set back, as in tests, counts as not recently)
    _forgotten_at = now
    forget(now)


def forget(now: dt.datetime) -> tuple[int, int]:
    """Delete idempotency records older than they are kept and finished rate windows;
    how many of each."""
    records, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - domain.IDEMPOTENCY_KEPT
    ).delete()
    windows, _ = RateWindow.objects.filter(minute__lt=domain.rate_window(now) - 1).delete()
    return records, windows
