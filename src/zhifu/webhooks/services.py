"""Webhooks' use cases: endpoints and their secrets, events, the fan-out of payments'
events into deliveries, and the delivery worker (docs/webhooks.md). Each owns its
transaction.

Delivery is at least once. A delivery row per (event, endpoint) is written in the
transaction that handles the outbox message, so it exists if and only if the event does.
A worker claims due deliveries one row at a time (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite takes one writer at a time), at most ``PER_ENDPOINT_IN_FLIGHT`` per
endpoint, sends outside any transaction, then records the outcome under its lease token.
A worker killed between the claim and the record leaves a lease that runs out; the next
claim sends again under the same ``webhook-id``, which receivers deduplicate by.
"""

from __future__ import annotations

import datetime as dt
import random as _random
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from zhifu.accounts import services as accounts
from zhifu.config.outbound import webhook_transport
from zhifu.config.site import config
from zhifu.db import run_in_transaction
from zhifu.kernel import clock, http, ids
from zhifu.kernel.masking import mask_card_numbers
from zhifu.outbox import domain as outbox_domain
from zhifu.payments.domain import iso
from zhifu.payments.errors import CursorInvalid, LimitInvalid
from zhifu.webhooks import domain
from zhifu.webhooks.domain import DeliveryState, EndpointStatus, RuleBroken
from zhifu.webhooks.errors import EndpointNotFound, EndpointsExhausted, EventNotFound, refusal_for
from zhifu.webhooks.models import Attempt, Delivery, Endpoint, EndpointSecret, Event

log = structlog.get_logger(__name__)

# A claimed delivery is the worker's this long: well over connect + read timeouts.
LEASE = dt.timedelta(seconds=60)
MAX_PAGE = 100
_ID = re.compile(r"^[a-z]{1,12}_[0-9A-Z]{26}$")
Jitter = Callable[[], float]


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]] = field(default_factory=list)
    has_more: bool = False


def _rule(check: Callable[[], Any]) -> Any:
    try:
        return check()
    except RuleBroken as broken:
        raise refusal_for(broken) from None


def _mode(livemode: bool | None) -> Q:
    return Q() if livemode is None else Q(livemode=livemode)


def _page(rows: QuerySet[Any], limit: int, starting_after: str | None, convert: Any) -> Page:
    if not 1 <= limit <= MAX_PAGE:
        raise LimitInvalid(param="limit")
    if starting_after is not None:
        if not _ID.match(starting_after):
            raise CursorInvalid(param="starting_after")
        rows = rows.filter(id__lt=starting_after)
    found = list(rows.order_by("-id")[: limit + 1])
    return Page([convert(r) for r in found[:limit]], len(found) > limit)


def _transport() -> http.Transport:
    return webhook_transport(domain.CONNECT_TIMEOUT_S, domain.READ_TIMEOUT_S)


def _wallet_key() -> bytes:
    return config().secret("webhook_secret_key").reveal().encode()


# --- endpoints ----------------------------------------------------------------------------


def _endpoint_object(row: Endpoint, secret: str | None = None) -> dict[str, Any]:
    body = {
        "id": row.id,
        "object": "webhook_endpoint",
        "url": row.url,
        "enabled_events": list(row.enabled_events),
        "description": row.description,
        "status": row.status,
        "created_at": iso(row.created_at),
        "livemode": row.livemode,
        "secret": secret,  # only in the answer that made it; null afterwards
    }
    return body


def _endpoints(platform: Any, livemode: bool | None) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(_mode(livemode), platform=platform, deleted_at__isnull=True)


def _endpoint(platform: Any, endpoint_id: str, livemode: bool | None) -> Endpoint:
    row = _endpoints(platform, livemode).filter(id=endpoint_id).first()
    if row is None:
        raise EndpointNotFound(param="id")
    return row


def _check_url(url: str) -> str:
    env = config().env
    allowed = http.parse_networks(env.allowed_networks)
    return str(_rule(lambda: domain.check_url(url, demo=env.demo, allowed=allowed)))


def create_endpoint(
    platform: Any,
    *,
    url: str,
    enabled_events: list[str],
    description: str = "",
    livemode: bool = False,
) -> dict[str, Any]:
    """A new endpoint and its first secret, returned once (``secret``) and never again."""
    url = _check_url(url)
    events = _rule(lambda: domain.check_events(enabled_events))
    description = _rule(lambda: domain.check_description(description))

    def create() -> dict[str, Any]:
        if _endpoints(platform, livemode).count() >= domain.MAX_ENDPOINTS:
            raise EndpointsExhausted()
        row = Endpoint.objects.create(
            id=ids.new_id("we"),
            platform=platform,
            livemode=livemode,
            url=url,
            enabled_events=events,
            description=description,
        )
        salt = domain.new_salt()
        EndpointSecret.objects.create(endpoint=row, salt=salt)
        return _endpoint_object(row, domain.derive_secret(_wallet_key(), row.id, salt))

    return run_in_transaction(create)


def list_endpoints(
    platform: Any, *, limit: int = 20, starting_after: str | None = None, livemode: bool | None
) -> Page:
    return _page(_endpoints(platform, livemode), limit, starting_after, _endpoint_object)


def get_endpoint(platform: Any, endpoint_id: str, *, livemode: bool | None) -> dict[str, Any]:
    return _endpoint_object(_endpoint(platform, endpoint_id, livemode))


def update_endpoint(
    platform: Any,
    endpoint_id: str,
    *,
    livemode: bool | None,
    url: str | None = None,
    enabled_events: list[str] | None = None,
    description: str | None = None,
    disabled: bool | None = None,
) -> dict[str, Any]:
    """Change what was given; a disabled endpoint gets no new deliveries (its pending ones
    are still sent)."""
    checked_url = _check_url(url) if url is not None else None
    events = _rule(lambda: domain.check_events(enabled_events)) if enabled_events else None
    if enabled_events is not None and not enabled_events:
        _rule(lambda: domain.check_events([]))
    text = _rule(lambda: domain.check_description(description)) if description else description

    def update() -> dict[str, Any]:
        row = _endpoint(platform, endpoint_id, livemode)
        row = Endpoint.objects.select_for_update().get(pk=row.pk)
        if checked_url is not None:
            row.url = checked_url
        if events is not None:
            row.enabled_events = events
        if text is not None:
            row.description = text
        if disabled is not None:
            row.status = EndpointStatus.DISABLED if disabled else EndpointStatus.ENABLED
        row.updated_at = clock.now()
        row.save()
        return _endpoint_object(row)

    return run_in_transaction(update)


def delete_endpoint(platform: Any, endpoint_id: str, *, livemode: bool | None) -> dict[str, Any]:
    """The endpoint is gone for the API; its deliveries still waiting are not sent."""

    def delete() -> dict[str, Any]:
        row = _endpoint(platform, endpoint_id, livemode)
        now = clock.now()
        Endpoint.objects.filter(pk=row.pk).update(deleted_at=now, updated_at=now)
        Delivery.objects.filter(endpoint=row, state=DeliveryState.PENDING).update(
            state=DeliveryState.FAILED, leased_until=None, lease_token=""
        )
        return {"id": row.id, "object": "webhook_endpoint", "deleted": True}

    return run_in_transaction(delete)


def rotate_secret(
    platform: Any, endpoint_id: str, *, livemode: bool | None, overlap_hours: float | None = None
) -> dict[str, Any]:
    """A new secret, returned once; the current ones keep signing for ``overlap`` (24 h by
    default), so the shop can deploy the new one with no message refused."""
    overlap = _rule(lambda: domain.check_overlap(overlap_hours))

    def rotate() -> dict[str, Any]:
        row = _endpoint(platform, endpoint_id, livemode)
        Endpoint.objects.select_for_update().filter(pk=row.pk).first()
        now = clock.now()
        until = now + overlap
        EndpointSecret.objects.filter(endpoint=row).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=until)
        ).update(expires_at=until)
        salt = domain.new_salt()
        EndpointSecret.objects.create(endpoint=row, salt=salt, created_at=now)
        return _endpoint_object(row, domain.derive_secret(_wallet_key(), row.id, salt))

    return run_in_transaction(rotate)


def signing_secrets(endpoint_id: str, now: dt.datetime) -> list[str]:
    """The secrets an endpoint's messages are signed with now: the newest first, then those
    rotated out whose overlap has not ended."""
    rows = (
        EndpointSecret.objects.filter(endpoint_id=endpoint_id)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-created_at", "-id")
    )
    key = _wallet_key()
    return [domain.derive_secret(key, endpoint_id, row.salt) for row in rows]


# --- events ---------------------------------------------------------------------------------


def _event_object(row: Event) -> dict[str, Any]:
    return domain.event_object(row.id, row.type, iso(row.created_at) or "", row.livemode, row.data)


def record_event(message: outbox_domain.Event) -> str | None:
    """Handle payments' outbox message: the event, and a delivery for each endpoint of its
    platform and mode that asked for its type, in one transaction. Handling it again (the
    outbox delivers at least once) adds nothing."""
    payload = message.payload
    data = payload.get("data") or {}
    event_id, event_type = str(payload["id"]), str(payload["type"])
    livemode = bool(data.get("livemode", False))

    def record() -> str | None:
        platform = accounts.platform_by_slug(str(payload.get("platform", "")))
        if platform is None:
            log.warning("webhooks.platform_unknown", event=event_id)
            return None
        created = dt.datetime.fromisoformat(str(payload["created_at"]).replace("Z", "+00:00"))
        event, made = Event.objects.get_or_create(
            id=event_id,
            defaults={
                "platform": platform,
                "livemode": livemode,
                "type": event_type,
                "created_at": created,
                "data": data,
            },
        )
        if made:
            _fan_out(event)
        return event.id

    return run_in_transaction(record)


def _fan_out(event: Event) -> int:
    now = clock.now()
    endpoints = Endpoint.objects.filter(
        platform_id=event.platform_id,
        livemode=event.livemode,
        status=EndpointStatus.ENABLED,
        deleted_at__isnull=True,
    )
    rows = [
        Delivery(
            id=ids.new_id("whd"),
            event=event,
            endpoint=endpoint,
            created_at=now,
            next_attempt_at=now,
            give_up_at=now + outbox_domain.GIVE_UP_AFTER,
        )
        for endpoint in endpoints
        if domain.subscribed(endpoint.enabled_events, event.type)
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def list_events(
    platform: Any,
    *,
    livemode: bool | None,
    type: str | None = None,
    created_gte: dt.datetime | None = None,
    created_lt: dt.datetime | None = None,
    limit: int = 20,
    starting_after: str | None = None,
) -> Page:
    """The platform's events, newest first: a shop catches up by polling."""
    rows = Event.objects.filter(_mode(livemode), platform=platform)
    if type is not None:
        rows = rows.filter(type=type)
    if created_gte is not None:
        rows = rows.filter(created_at__gte=created_gte)
    if created_lt is not None:
        rows = rows.filter(created_at__lt=created_lt)
    return _page(rows, limit, starting_after, _event_object)


def _event(platform: Any | None, event_id: str, livemode: bool | None) -> Event:
    rows = Event.objects.filter(_mode(livemode), id=event_id)
    if platform is not None:
        rows = rows.filter(platform=platform)
    row = rows.first()
    if row is None:
        raise EventNotFound(param="id")
    return row


def get_event(platform: Any, event_id: str, *, livemode: bool | None) -> dict[str, Any]:
    return _event_object(_event(platform, event_id, livemode))


def _delivery_object(row: Delivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": "webhook_delivery",
        "event": row.event_id,
        "endpoint": row.endpoint_id,
        "url": row.endpoint.url,
        "status": row.state,
        "attempt_count": row.attempts,
        "next_attempt_at": iso(row.next_attempt_at) if row.state == "pending" else None,
        "delivered_at": iso(row.delivered_at),
        "attempts": [
            {
                "number": a.number,
                "started_at": iso(a.started_at),
                "status_code": a.status_code,
                "response_time_ms": a.duration_ms,
                "response_body": a.response_excerpt,
                "error": a.error or None,
            }
            for a in sorted(row.log.all(), key=lambda a: a.number)
        ],
    }


def event_deliveries(
    platform: Any | None, event_id: str, *, livemode: bool | None = None
) -> list[dict[str, Any]]:
    """The delivery log of an event: one entry per endpoint, its attempts oldest first.
    ``platform`` None: the operator's view."""
    event = _event(platform, event_id, livemode)
    rows = (
        Delivery.objects.filter(event=event)
        .select_related("endpoint")
        .prefetch_related("log")
        .order_by("id")
    )
    return [_delivery_object(row) for row in rows]


def resend(
    platform: Any | None,
    event_id: str,
    *,
    livemode: bool | None = None,
    endpoint_id: str | None = None,
) -> list[dict[str, Any]]:
    """Send an event again (same ``webhook-id``) to one endpoint, or to every endpoint that
    had it: due now, retried for 3 more days. An endpoint subscribed to it that never had it
    gets it too."""
    event = _event(platform, event_id, livemode)

    def again() -> list[dict[str, Any]]:
        now = clock.now()
        targets = Endpoint.objects.filter(
            platform_id=event.platform_id, livemode=event.livemode, deleted_at__isnull=True
        )
        if endpoint_id is not None:
            targets = targets.filter(id=endpoint_id)
            if not targets.exists():
                raise EndpointNotFound(param="endpoint")
        had = set(Delivery.objects.filter(event=event).values_list("endpoint_id", flat=True))
        for endpoint in targets:
            wanted = endpoint.status == EndpointStatus.ENABLED and domain.subscribed(
                endpoint.enabled_events, event.type
            )
            if endpoint_id is None and endpoint.id not in had and not wanted:
                continue
            changed = Delivery.objects.filter(event=event, endpoint=endpoint).update(
                state=DeliveryState.PENDING,
                next_attempt_at=now,
                give_up_at=now + outbox_domain.GIVE_UP_AFTER,
            )
            if not changed:
                Delivery.objects.create(
                    id=ids.new_id("whd"),
                    event=event,
                    endpoint=endpoint,
                    next_attempt_at=now,
                    give_up_at=now + outbox_domain.GIVE_UP_AFTER,
                )
        return event_deliveries(None, event.id)

    return run_in_transaction(again)


# --- the delivery worker ---------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """One delivery this worker holds until ``LEASE`` runs out, with what it sends."""

    id: str
    token: str
    attempts: int
    give_up_at: dt.datetime
    url: str
    event_id: str
    body: bytes
    secrets: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class Sent:
    started_at: dt.datetime
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _free(now: dt.datetime) -> Q:
    return Q(state=DeliveryState.PENDING, next_attempt_at__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lte=now)
    )


def claim(limit: int, *, per_endpoint: int = domain.PER_ENDPOINT_IN_FLIGHT) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries, at most ``per_endpoint`` in flight per endpoint
    (counting every worker's), so a receiver that hangs holds no more than that many sends
    while the others' go on. Endpoints are taken one claim each in turn: a backlog of one
    never queues another's."""
    now = clock.now()
    skip_locked = connection.features.has_select_for_update_skip_locked
    chosen: list[str] = []
    with transaction.atomic():
        waiting = (
            Delivery.objects.filter(_free(now))
            .order_by()
            .values_list("endpoint_id", flat=True)
            .distinct()
        )
        for endpoint_id in list(waiting[: limit * 4]):
            if len(chosen) >= limit:
                break
            # Two workers never count one endpoint's flights at once (PostgreSQL: the row
            # lock; the one that finds it locked tries another endpoint).
            locked = Endpoint.objects.filter(pk=endpoint_id)
            if skip_locked:
                locked = locked.select_for_update(skip_locked=True)
            if not locked.exists():
                continue
            flying = Delivery.objects.filter(
                endpoint_id=endpoint_id, state=DeliveryState.PENDING, leased_until__gt=now
            ).count()
            room = min(per_endpoint - flying, limit - len(chosen))
            if room <= 0:
                continue
            due = Delivery.objects.filter(_free(now), endpoint_id=endpoint_id)
            if skip_locked:
                due = due.select_for_update(skip_locked=True)
            chosen += list(
                due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:room]
            )
        if not chosen:
            return []
        # Base64, not hex: a long run of hex digits can pass for a card number in logs.
        token = secrets.token_urlsafe(16)
        Delivery.objects.filter(_free(now), pk__in=chosen).update(
            leased_until=now + LEASE, lease_token=token
        )
        rows = list(
            Delivery.objects.filter(pk__in=chosen, lease_token=token).select_related(
                "event", "endpoint"
            )
        )
    keys: dict[str, tuple[str, ...]] = {}
    claimed = []
    for row in rows:
        if row.endpoint_id not in keys:
            keys[row.endpoint_id] = tuple(signing_secrets(row.endpoint_id, now))
        claimed.append(
            Claimed(
                id=row.id,
                token=token,
                attempts=row.attempts,
                give_up_at=row.give_up_at,
                url=row.endpoint.url,
                event_id=row.event_id,
                body=domain.body_of(_event_object(row.event)),
                secrets=keys[row.endpoint_id],
            )
        )
    return claimed


def send(claimed: Claimed, transport: http.Transport) -> Sent:
    """Sign and POST one delivery; no database. A redirect is not followed (it fails)."""
    started = clock.now()
    stamp = int(started.timestamp())
    headers = {
        **domain.sign_headers(claimed.secrets, claimed.event_id, stamp, claimed.body),
        "Content-Type": "application/json",
        "User-Agent": "zhifu-webhooks/1",
    }
    request = http.Request("POST", claimed.url, headers, claimed.body)
    began = time.monotonic()
    status: int | None = None
    text = error = ""
    try:
        response = transport.handle(request)
        status, text = response.status_code, domain.excerpt(response.content)
        if 300 <= status < 400:
            error = "redirect not followed"
    except http.TransportError as exc:
        error = f"{type(exc).__name__}: {exc}"
    duration = int((time.monotonic() - began) * 1000)
    return Sent(started, status, duration, mask_card_numbers(text), mask_card_numbers(error)[:500])


def finish(claimed: Claimed, sent: Sent, jitter: Jitter = _random.random) -> bool:
    """Record an attempt under the claim's lease; False (nothing recorded) if the lease was
    lost to another worker meanwhile."""
    now = clock.now()
    attempts = claimed.attempts + 1
    changes: dict[str, Any] = {"attempts": attempts, "last_status": sent.status_code}
    if sent.ok:
        changes.update(state=DeliveryState.SUCCEEDED, delivered_at=now)
    else:
        delay = outbox_domain.next_delay(attempts, jitter)
        retry = domain.next_attempt(attempts, now, claimed.give_up_at, delay)
        if retry is None:
            changes.update(state=DeliveryState.FAILED)
        else:
            changes.update(next_attempt_at=retry)

    def record() -> bool:
        kept = Delivery.objects.filter(
            pk=claimed.id, lease_token=claimed.token, state=DeliveryState.PENDING
        ).update(leased_until=None, lease_token="", **changes)
        if not kept:
            return False
        Attempt.objects.create(
            delivery_id=claimed.id,
            number=attempts,
            started_at=sent.started_at,
            status_code=sent.status_code,
            duration_ms=sent.duration_ms,
            response_excerpt=sent.excerpt,
            error=sent.error,
        )
        return True

    if not run_in_transaction(record):
        log.error("webhooks.lease_lost", delivery=claimed.id)
        return False
    return True


def deliver_due(
    limit: int = 100,
    *,
    per_endpoint: int = domain.PER_ENDPOINT_IN_FLIGHT,
    transport: http.Transport | None = None,
    jitter: Jitter = _random.random,
) -> int:
    """One round in this thread: claim, send one after the other, record; how many were
    attempted. The worker runs :class:`Sender` instead (sends in parallel)."""
    chosen = claim(limit, per_endpoint=per_endpoint)
    if not chosen:
        return 0
    wire = transport or _transport()
    for claimed in chosen:
        finish(claimed, send(claimed, wire), jitter)
    return len(chosen)


class Sender:
    """The worker's deliveries: up to ``threads`` sends in flight, each thread on one
    delivery, claims made as threads come free. Sends touch no database; claims and
    records are made by the worker's own thread. :meth:`run_once` never waits for a send,
    so the worker's other jobs go on while receivers are slow."""

    def __init__(self, threads: int = 16) -> None:
        self.threads = threads
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="webhook")
        self._flying: dict[Future[Sent], Claimed] = {}

    def run_once(self, wait_s: float = 0.0) -> int:
        done, _ = wait(list(self._flying), timeout=wait_s, return_when=FIRST_COMPLETED)
        for future in done:
            claimed = self._flying.pop(future)
            try:
                finish(claimed, future.result())
            except Exception:
                log.exception("webhooks.finish_failed", delivery=claimed.id)
        room = self.threads - len(self._flying)
        if room <= 0:
            return len(done)
        transport = _transport()
        for claimed in claim(room):
            self._flying[self._pool.submit(send, claimed, transport)] = claimed
        return len(done)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# --- operators ---------------------------------------------------------------------------------


def recent_deliveries(
    *, state: DeliveryState | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    rows = Delivery.objects.select_related("endpoint").prefetch_related("log").order_by("-id")
    if state is not None:
        rows = rows.filter(state=state)
    return [_delivery_object(row) for row in rows[:limit]]
