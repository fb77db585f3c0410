"""/api/v1/webhook_endpoints and /api/v1/events: every operation, and another platform's
(or the other mode's) ids answer 404 exactly like ids that never existed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection

from tests.wallet.merchants.support import Api, error_of, new_key
from tests.wallet.webhooks.support import deliver_all, emit, fan_out_all, ok
from zhifu.kernel import clock, http
from zhifu.merchants.domain import Mode

HOOK = {"url": "https://shop.example/hooks", "enabled_events": ["payment.succeeded"]}


def _create(api: Api, **overrides: Any) -> dict[str, Any]:
    answer = api.post("/webhook_endpoints", {**HOOK, **overrides})
    assert answer.status_code == 201, answer.json()
    body: dict[str, Any] = answer.json()
    return body


def test_create_list_retrieve_update_delete(api: Api) -> None:
    made = _create(api, description="orders")
    assert made["object"] == "webhook_endpoint"
    assert made["secret"].startswith("whsec_")
    assert made["enabled_events"] == ["payment.succeeded"]
    assert made["status"] == "enabled"
    assert made["livemode"] is False
    got = api.get(f"/webhook_endpoints/{made['id']}").json()
    assert got == {**made, "secret": None}
    listed = api.get("/webhook_endpoints").json()
    assert [e["id"] for e in listed["data"]] == [made["id"]]
    assert listed["data"][0]["secret"] is None
    changed = api.post(
        f"/webhook_endpoints/{made['id']}",
        {"url": "https://shop.example/v2", "enabled_events": ["*"], "disabled": True},
    ).json()
    assert changed["url"] == "https://shop.example/v2"
    assert changed["enabled_events"] == ["*"]
    assert changed["status"] == "disabled"
    gone = api.client.delete(
        f"/api/v1/webhook_endpoints/{made['id']}", headers={"Authorization": f"Bearer {api.key}"}
    )
    assert gone.json() == {"id": made["id"], "object": "webhook_endpoint", "deleted": True}
    again = api.get(f"/webhook_endpoints/{made['id']}")
    assert again.status_code == 404
    assert error_of(again)["code"] == "webhook_endpoint_not_found"


def test_the_secret_is_not_in_the_database(api: Api) -> None:
    made = _create(api)
    rotated = api.post(f"/webhook_endpoints/{made['id']}/rotate_secret").json()
    for secret in (made["secret"], rotated["secret"]):
        raw = secret.removeprefix("whsec_")
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names():
                cursor.execute(f'SELECT * FROM "{table}"')
                for row in cursor.fetchall():
                    assert raw not in repr(row), table


def test_creation_is_idempotent(api: Api) -> None:
    first = api.post("/webhook_endpoints", HOOK, idempotency_key="hook-1")
    second = api.post("/webhook_endpoints", HOOK, idempotency_key="hook-1")
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert len(api.get("/webhook_endpoints").json()["data"]) == 1


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (
            {"url": "https://shop.example/h", "enabled_events": []},
            "webhook_events_invalid",
            "enabled_events",
        ),
        (
            {"url": "https://shop.example/h", "enabled_events": ["*", "payment.succeeded"]},
            "webhook_events_invalid",
            "enabled_events",
        ),
        (
            {"url": "https://shop.example/h", "enabled_events": ["vault.card_added"]},
            "parameter_invalid",
            None,
        ),
        ({"url": "ftp://shop.example/h", "enabled_events": ["*"]}, "webhook_url_invalid", "url"),
        (
            {"url": "https://shop.example/h", "enabled_events": ["*"], "description": "x" * 501},
            "webhook_description_too_long",
            "description",
        ),
        (
            {"url": "https://shop.example/h", "enabled_events": ["*"], "secret": "whsec_mine"},
            "parameter_unknown",
            "secret",
        ),
    ],
)
def test_bad_requests_are_refused(
    api: Api, body: dict[str, Any], code: str, param: str | None
) -> None:
    answer = api.post("/webhook_endpoints", body)
    assert answer.status_code == 400, answer.json()
    error = error_of(answer)
    assert error["code"] == code
    if param is not None:
        assert error["param"] == param


def test_text_no_column_holds_is_refused(api: Api) -> None:
    for text in ("a\u0000b", "\ud800"):
        answer = api.post("/webhook_endpoints", {**HOOK, "description": text})
        assert answer.status_code == 400
    nul_url = api.post("/webhook_endpoints", {**HOOK, "url": "https://shop.example/\u0000"})
    assert error_of(nul_url)["code"] == "webhook_url_invalid"


def test_the_overlap_is_bounded(api: Api) -> None:
    made = _create(api)
    for hours in (-1, 169):
        answer = api.post(
            f"/webhook_endpoints/{made['id']}/rotate_secret", {"overlap_hours": hours}
        )
        assert error_of(answer)["code"] == "webhook_overlap_invalid"


def test_endpoints_per_platform_are_limited(api: Api) -> None:
    for n in range(16):
        _create(api, url=f"https://shop.example/{n}")
    answer = api.post("/webhook_endpoints", HOOK)
    assert error_of(answer)["code"] == "webhook_endpoints_exhausted"


def test_events_list_filters_and_pages(api: Api) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        ids = []
        for n in range(5):
            ids.append(emit("shop-a", kind="payment.succeeded" if n % 2 else "refund.succeeded"))
            traveller.shift(60)
        fan_out_all()
    page = api.get("/events", {"limit": 2}).json()
    assert [e["id"] for e in page["data"]] == ids[::-1][:2]
    assert page["has_more"] is True
    rest = api.get("/events", {"limit": 100, "starting_after": page["data"][-1]["id"]}).json()
    assert [e["id"] for e in rest["data"]] == ids[::-1][2:]
    assert rest["has_more"] is False
    refunds = api.get("/events", {"type": "refund.succeeded"}).json()
    assert {e["type"] for e in refunds["data"]} == {"refund.succeeded"}
    assert len(refunds["data"]) == 3
    since = (start + dt.timedelta(seconds=90)).isoformat()
    recent = api.get("/events", {"created_gte": since}).json()
    assert [e["id"] for e in recent["data"]] == ids[::-1][:3]
    one = api.get(f"/events/{ids[0]}").json()
    assert one["object"] == "event"
    assert one["data"]["object"]["object"] == "payment"
    assert error_of(api.get("/events", {"since": "x"}))["code"] == "parameter_unknown"
    assert error_of(api.get("/events", {"limit": 0}))["code"] == "limit_invalid"
    assert error_of(api.get("/events", {"starting_after": "nope"}))["code"] == "cursor_invalid"
    assert (
        error_of(api.get("/events", {"created_gte": "2026-06-15T12:00:00"}))["code"]
        == "parameter_invalid"
    )
    # no UTC instant (a year-1 time east of Greenwich): refused, where PostgreSQL would fail
    assert (
        error_of(api.get("/events", {"created_gte": "0001-01-01T00:02:49.75+11:05"}))["code"]
        == "parameter_invalid"
    )


def test_deliveries_and_resend_through_the_api(api: Api) -> None:
    made = _create(api)
    event = emit("shop-a")
    fan_out_all()
    transport = http.MockTransport(ok)
    deliver_all(transport)
    log = api.get(f"/events/{event}/deliveries").json()
    (delivery,) = log["data"]
    assert delivery["endpoint"] == made["id"]
    assert delivery["status"] == "succeeded"
    assert delivery["attempt_count"] == 1
    (attempt,) = delivery["attempts"]
    assert attempt["status_code"] == 200
    assert attempt["response_body"] == "thanks"
    assert attempt["response_time_ms"] >= 0
    again = api.post(f"/events/{event}/resend", {"endpoint": made["id"]}, idempotency_key="r1")
    assert again.status_code == 200, again.json()
    assert again.json()["data"][0]["status"] == "pending"
    deliver_all(transport)
    assert len(transport.requests) == 2
    assert transport.requests[0].header("webhook-id") == transport.requests[1].header("webhook-id")


def test_another_platforms_endpoints_events_and_deliveries_answer_404(
    api: Api, other_api: Api
) -> None:
    mine = _create(api)
    event = emit("shop-a")
    fan_out_all()
    theirs = other_api
    auth = {"Authorization": f"Bearer {theirs.key}"}
    for answer, code in [
        (theirs.get(f"/webhook_endpoints/{mine['id']}"), "webhook_endpoint_not_found"),
        (
            theirs.post(f"/webhook_endpoints/{mine['id']}", {"url": "https://evil.example/"}),
            "webhook_endpoint_not_found",
        ),
        (
            theirs.post(f"/webhook_endpoints/{mine['id']}/rotate_secret"),
            "webhook_endpoint_not_found",
        ),
        (
            theirs.client.delete(f"/api/v1/webhook_endpoints/{mine['id']}", headers=auth),
            "webhook_endpoint_not_found",
        ),
        (theirs.get(f"/events/{event}"), "event_not_found"),
        (theirs.get(f"/events/{event}/deliveries"), "event_not_found"),
        (theirs.post(f"/events/{event}/resend"), "event_not_found"),
        (theirs.get("/events/evt_00000000000000000000000000"), "event_not_found"),
        (theirs.get("/webhook_endpoints/../payments"), None),
    ]:
        assert answer.status_code == 404, answer.content
        if code:
            assert error_of(answer)["code"] == code
    assert theirs.get("/webhook_endpoints").json()["data"] == []
    assert theirs.get("/events").json()["data"] == []
    assert api.get(f"/webhook_endpoints/{mine['id']}").json()["url"] == HOOK["url"]
    # their endpoint cannot be used to resend my event either
    their_hook = _create(theirs)
    answer = api.post(f"/events/{event}/resend", {"endpoint": their_hook["id"]})
    assert error_of(answer)["code"] == "webhook_endpoint_not_found"


def test_a_test_key_sees_no_live_endpoint_or_event(api: Api, shop: Any) -> None:
    live = Api(new_key("shop-a", Mode.LIVE))
    hook = _create(live)
    assert hook["livemode"] is True
    event = emit("shop-a", livemode=True)
    fan_out_all()
    assert api.get(f"/webhook_endpoints/{hook['id']}").status_code == 404
    assert api.get(f"/events/{event}").status_code == 404
    assert live.get(f"/events/{event}").status_code == 200
    assert api.get("/events").json()["data"] == []


def test_no_key_no_access(api: Api) -> None:
    anonymous = Api(None)
    assert anonymous.get("/webhook_endpoints").status_code == 401
    assert anonymous.post("/webhook_endpoints", HOOK).status_code == 401
    assert anonymous.get("/events").status_code == 401
