"""The API's own middleware stack (zhifu.web.middleware.ApiMiddleware): the security
headers pages get, the host check, no session, language or user work; other paths, and
paths under the prefix the URLconf does not know, keep the pages' stack."""

from __future__ import annotations

from typing import Any

from django.test import Client

from tests.wallet.merchants.support import Api

HEADERS = ("Content-Security-Policy", "Strict-Transport-Security", "X-Content-Type-Options")


def test_api_answers_keep_the_security_headers(api: Api) -> None:
    for response in (api.get("/payments"), Api(None).get("/payments"), api.get("/nope")):
        for name in HEADERS:
            assert response.has_header(name), name
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cache-Control"] == "no-store"
        assert not response.cookies


def test_api_requests_skip_the_pages_work(api: Api, monkeypatch: Any) -> None:
    from django.contrib.sessions.backends import db as sessions

    def no_session(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the API read a session")

    monkeypatch.setattr(sessions.SessionStore, "load", no_session)
    response = api.get("/payments", HTTP_ACCEPT_LANGUAGE="ru", HTTP_COOKIE="zhifu_tz=Asia/Tokyo")
    assert response.status_code == 200
    assert "Content-Language" not in response
    assert "Vary" not in response  # nothing of the session, cookie or language used


def test_another_host_is_refused(api: Api) -> None:
    response = Api(api.key, Client(HTTP_HOST="evil.example")).get("/payments")
    assert response.status_code == 400


def test_pages_keep_their_stack(db: Any, client: Client) -> None:
    page = client.get("/api/v2/payments")  # not the API: the pages' 404
    assert page.status_code == 404
    assert "text/html" in page["Content-Type"]
    assert "Content-Language" in page
