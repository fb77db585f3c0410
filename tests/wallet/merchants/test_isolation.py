"""Platform A's keys see none of platform B's payments or refunds (issue 11, "Done when"):
over every id-bearing endpoint B's ids answer 404 exactly as ids that never existed (never
403, nothing in the body that tells them apart), and B's objects do not move."""

from __future__ import annotations

from typing import Any

import pytest

from tests.wallet.merchants.support import Api, create_payment, error_of, new_key, pay
from zhifu.accounts.models import Platform, User
from zhifu.connectors.fake import FakeCardNetwork

pytestmark = pytest.mark.django_db(databases=["default", "vault"])


@pytest.fixture
def theirs(other_shop: Platform, buyer: User, network: FakeCardNetwork) -> dict[str, Any]:
    """Platform B: a captured payment with a refund, and a manual one waiting for capture."""
    b = Api(new_key("shop-b"))
    paid = create_payment(b)
    pay(paid["id"], buyer, network)
    refund = b.post("/refunds", {"payment": paid["id"], "amount": 100}).json()
    held = create_payment(b, capture_method="manual")
    pay(held["id"], buyer, network)
    return {"api": b, "paid": paid["id"], "refund": refund["id"], "held": held["id"]}


def _not_found_like_a_stranger(response: Any, stranger: Any) -> None:
    assert response.status_code == 404
    assert stranger.status_code == 404
    assert response.json() == stranger.json()  # the same answer as an id nobody has
    assert error_of(response)["code"] in {"payment_not_found", "refund_not_found"}


def test_every_id_bearing_endpoint_answers_404_for_another_platforms_ids(
    api: Api, theirs: dict[str, Any]
) -> None:
    nobody_pay, nobody_re = "pay_01KV00000000000000000000ZZ", "re_01KV00000000000000000000ZZ"
    for pay_id in (theirs["paid"], theirs["held"]):
        _not_found_like_a_stranger(
            api.get(f"/payments/{pay_id}"), api.get(f"/payments/{nobody_pay}")
        )
        _not_found_like_a_stranger(
            api.post(f"/payments/{pay_id}/capture", {}),
            api.post(f"/payments/{nobody_pay}/capture", {}),
        )
        _not_found_like_a_stranger(
            api.post(f"/payments/{pay_id}/cancel", {}),
            api.post(f"/payments/{nobody_pay}/cancel", {}),
        )
        _not_found_like_a_stranger(
            api.post("/refunds", {"payment": pay_id}),
            api.post("/refunds", {"payment": nobody_pay}),
        )
    _not_found_like_a_stranger(
        api.get(f"/refunds/{theirs['refund']}"), api.get(f"/refunds/{nobody_re}")
    )

    # Lists: nothing of theirs, whatever the filter or cursor.
    assert api.get("/payments").json()["data"] == []
    assert api.get("/refunds").json()["data"] == []
    assert api.get("/refunds", {"payment": theirs["paid"]}).json()["data"] == []
    for path, cursor in (("/payments", theirs["paid"]), ("/refunds", theirs["refund"])):
        response = api.get(path, {"starting_after": cursor})
        if response.status_code == 200:
            assert response.json()["data"] == []
        else:
            assert response.status_code in (400, 404)
            error_of(response)

    # Their objects did not move.
    b = theirs["api"]
    assert b.get(f"/payments/{theirs['held']}").json()["status"] == "requires_capture"
    paid = b.get(f"/payments/{theirs['paid']}").json()
    assert paid["status"] == "succeeded"
    assert paid["amount_refunded"] == 100
    assert len(b.get("/refunds").json()["data"]) == 1


def test_an_idempotency_key_of_theirs_replays_nothing_to_us(
    api: Api, theirs: dict[str, Any]
) -> None:
    b = theirs["api"]
    body = {"payment": theirs["paid"], "amount": 50}
    assert b.post("/refunds", body, idempotency_key="refund-7").status_code == 201
    mine = api.post("/refunds", body, idempotency_key="refund-7")
    assert mine.status_code == 404  # not their stored answer, and not 422 either
    assert "Idempotent-Replayed" not in mine.headers


def test_a_wallet_session_is_not_an_api_credential(
    api: Api, theirs: dict[str, Any], client: Any, buyer: User
) -> None:
    client.force_login(buyer)
    signed_in = Api(None, client)
    response = signed_in.get(f"/payments/{theirs['paid']}")
    assert response.status_code == 401
    assert error_of(response)["code"] == "authentication_required"


def test_a_test_key_sees_no_live_payment_of_its_own_platform_and_back(
    api: Api, buyer: User, network: FakeCardNetwork
) -> None:
    from zhifu.merchants.domain import Mode

    live = Api(new_key("shop-a", Mode.LIVE))
    paid = create_payment(live)
    pay(paid["id"], buyer, network)
    refund = live.post("/refunds", {"payment": paid["id"], "amount": 100}).json()
    for path in (f"/payments/{paid['id']}", f"/refunds/{refund['id']}"):
        assert api.get(path).status_code == 404
        assert live.get(path).status_code == 200
    assert api.post(f"/payments/{paid['id']}/cancel").status_code == 404
    assert api.post(f"/payments/{paid['id']}/capture").status_code == 404
    assert api.post("/refunds", {"payment": paid["id"]}).status_code == 404
    assert api.get("/payments").json()["data"] == []
    assert api.get("/refunds").json()["data"] == []
    mine = create_payment(api)
    assert [p["id"] for p in live.get("/payments").json()["data"]] == [paid["id"]]
    assert live.get(f"/payments/{mine['id']}").status_code == 404
