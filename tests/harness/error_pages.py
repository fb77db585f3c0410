# ruff: noqa: RUF001 - Russian text is what the buyer sees
"""What every error page of every site must be (issue 14, P3), and the views that fail on
purpose for the statuses no real URL gives (403 without CSRF, 500).

Each site's test module mounts ``failing_urls(site_urlpatterns)`` with
``@pytest.mark.urls`` and checks each answer with ``assert_error_page``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import structlog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, path

# Planted in the exception of the failing view: it must reach neither the page nor the log.
CANARY = "4111 1111 1111 1111 /x?token=sekrit-canary-0f3a"

TITLES = {
    "en": {
        400: "The request could not be read",
        403: "You cannot open this page",
        404: "Page not found",
        405: "This page cannot be opened directly",
        500: "Something went wrong on our side",
        "csrf": "This page has expired",
    },
    "ru": {
        400: "Не удалось прочитать запрос",
        403: "Эта страница вам недоступна",
        404: "Страница не найдена",
        405: "Эту страницу нельзя открыть напрямую",
        500: "Что-то пошло не так на нашей стороне",
        "csrf": "Страница устарела",
    },
}
# Django's own error texts and the developer hints they carry.
DEVELOPER_TEXT = re.compile(
    r"DEBUG|CSRF|Not Found|Server Error|Forbidden|Traceback|requested resource|Bad Request"
    r"|Ошибка проверки|csrf_token",
)


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"the failing test view ({CANARY})")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("no entry for the failing test view")


def failing_urls(urlpatterns: list[Any]) -> list[URLPattern | URLResolver]:
    return [
        path("_test/boom/", boom),
        path("_test/forbidden/", forbidden),
        *urlpatterns,
    ]


def assert_error_page(
    response: HttpResponse, status: int, language: str, *, layout_marker: str, csrf: bool = False
) -> str:
    """The page for ``status`` in ``language``: the site's layout (``layout_marker`` is a
    piece of HTML only that layout has), the plain title, a way back, a viewport tag and
    nothing of Django's developer text. Returns the HTML."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert f'<html lang="{language}"' in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert layout_marker in html, "not in the site's layout"
    title = TITLES[language]["csrf" if csrf else status]
    assert f'<h1 id="error-title">{title}</h1>' in html
    assert re.search(r'<a href="/" role="button">[^<]+</a>', html), "no way back"
    assert not DEVELOPER_TEXT.search(_visible(html)), DEVELOPER_TEXT.search(_visible(html))
    assert CANARY not in html
    assert "sekrit" not in html
    return html


def _visible(html: str) -> str:
    """The page's text, without tags, attribute values (the CSRF field's name) and scripts."""
    return re.sub(r"<[^>]*>", " ", html)


def assert_500_logged_without_secrets(records: list[logging.LogRecord]) -> None:
    """Django still logs the 500 (with its traceback, for the operator) and the canary in
    the exception's message is masked by the log pipeline (zhifu.config.logging)."""
    errors = [r for r in records if r.name == "django.request" and r.levelno >= logging.ERROR]
    assert errors, "the 500 was not logged"
    assert errors[0].exc_info is not None
    formatter = next(
        h.formatter
        for h in logging.getLogger().handlers
        if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)
    )
    line = formatter.format(errors[0])
    assert "RuntimeError" in line
    assert "the failing test view" in line
    assert "sekrit" not in line
    assert "4111 1111 1111 1111" not in line


LANGUAGES = ["en", "ru"]


class ErrorPageChecks:
    """Each status in each language on one site; a site's test module subclasses it as
    ``TestErrorPages`` and names its layout's marker, a POST-only URL and a form's URL."""

    layout: str
    post_only: str  # a require_POST view: GET answers 405
    form_url: str  # a form that checks CSRF

    @pytest.fixture
    def browser(self) -> Client:
        return Client(raise_request_exception=False)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_404(self, browser: Client, language: str) -> None:
        response = browser.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE=language)
        assert_error_page(response, 404, language, layout_marker=self.layout)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_405_is_a_page_and_keeps_allow(self, browser: Client, language: str) -> None:
        response = browser.get(self.post_only, HTTP_ACCEPT_LANGUAGE=language)
        assert_error_page(response, 405, language, layout_marker=self.layout)
        assert "POST" in response["Allow"]

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_403(self, browser: Client, language: str) -> None:
        response = browser.get("/_test/forbidden/", HTTP_ACCEPT_LANGUAGE=language)
        assert_error_page(response, 403, language, layout_marker=self.layout)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_csrf_403(self, language: str) -> None:
        response = Client(enforce_csrf_checks=True).post(
            self.form_url, {"x": "1"}, HTTP_ACCEPT_LANGUAGE=language
        )
        assert_error_page(response, 403, language, layout_marker=self.layout, csrf=True)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_400_for_a_forged_host(self, browser: Client, language: str) -> None:
        response = browser.get("/", HTTP_HOST="evil.example", HTTP_ACCEPT_LANGUAGE=language)
        assert_error_page(response, 400, language, layout_marker=self.layout)

    @pytest.mark.parametrize("language", LANGUAGES)
    def test_500_is_a_page_and_is_logged(
        self, browser: Client, language: str, caplog: pytest.LogCaptureFixture
    ) -> None:
        response = browser.get("/_test/boom/", HTTP_ACCEPT_LANGUAGE=language)
        assert_error_page(response, 500, language, layout_marker=self.layout)
        assert_500_logged_without_secrets(caplog.records)

    def test_debug_is_off(self) -> None:
        assert settings.DEBUG is False
