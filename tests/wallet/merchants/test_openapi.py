"""The OpenAPI document against the running API (issue 11, "Done when"): schemathesis
generates requests for every operation from /api/v1/openapi.json, valid and invalid, with a
bounded number of examples each, and checks each answer: no server error, no status the
operation does not declare, headers and bodies as declared. Also: the document is OpenAPI
3.1, declares every error status per operation, and its docs page works under the CSP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.wallet.merchants.support import Api, new_key
from zhifu.accounts.models import Platform
from zhifu.merchants.api import api

pytestmark = pytest.mark.django_db(databases=["default", "vault"])

EXAMPLES = 25  # per operation and mode; the nightly profile's tenfold does not apply here


@pytest.fixture(autouse=True)
def _keep_the_connection() -> Iterator[None]:
    """Called through WSGI, Django closes the connection after each request: the test's
    transaction must outlive them (Django's test client does the same)."""
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in signals:
            signal.connect(close_old_connections)


@pytest.fixture
def client_a(shop: Platform) -> Api:
    return Api(new_key("shop-a"))


@pytest.fixture
def secret_key(shop: Platform) -> str:
    return new_key("shop-a")


# The document as the endpoint serves it (ninja builds it without a database).
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_declared_and_conforms(case: Any, secret_key: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secret_key}"},
        # A request the schema allows may still break a payments rule (an id nobody has,
        # a refund larger than the capture): its documented 4xx is the right answer.
        excluded_checks=[positive_data_acceptance],
    )


def test_the_document_is_openapi_3_1_and_declares_every_error(client_a: Api) -> None:
    response = client_a.get("/openapi.json")
    assert response.json() == json.loads(json.dumps(api.get_openapi_schema()))
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]
    operations = [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]
    assert len(operations) == 8 + 10  # payments and refunds, webhooks (webhooks.api)
    for path, method, op in operations:
        declared = set(op["responses"])
        must = {"400", "401", "413", "429", "500"}
        if "{" in path:
            must.add("404")
        if method == "post":
            must |= {"409", "422"}
            names = {p["name"] for p in op.get("parameters", [])}
            assert "Idempotency-Key" in names, path
        assert must <= declared, (method, path, declared)
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")):
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorOut"), (path, status)


def test_the_docs_page_is_served_from_the_wallet_under_its_csp(client_a: Api) -> None:
    page = client_a.client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://" not in html  # nothing from a CDN
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "script-src 'self'" in page["Content-Security-Policy"]
    for asset in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        served = client_a.client.get(f"/static/ninja/{asset}")
        assert served.status_code == 200, asset
