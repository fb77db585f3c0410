"""The error pages of the three sites: 400, 403 (CSRF too), 404, 405 and 500.

Each is a page in the site's own layout and the buyer's language, saying what happened in
plain words and offering a way back; never Django's developer text. The settings name
these views (``handler400``… in the URLconfs, ``CSRF_FAILURE_VIEW``), and
``ErrorPageMiddleware`` gives a page to the empty 405 that ``require_POST`` answers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorPage:
    title: Promise
    text: Promise


PAGES: dict[int, ErrorPage] = {
    400: ErrorPage(
        _("The request could not be read"),
        _("Something in the address or the form was not right. Go back and try again."),
    ),
    403: ErrorPage(
        _("You cannot open this page"),
        _("This page is not open to you. If you think it should be, sign in and try again."),
    ),
    404: ErrorPage(
        _("Page not found"),
        _("There is no page at this address. The link may be mistyped or out of date."),
    ),
    405: ErrorPage(
        _("This page cannot be opened directly"),
        _("It is the step of a form. Go back to the page before it and use its button."),
    ),
    500: ErrorPage(
        _("Something went wrong on our side"),
        _("We could not finish this request. Please try again in a minute."),
    ),
}
CSRF_PAGE = ErrorPage(
    _("This page has expired"),
    _("The form was open too long or was sent from another tab. Reload the page and try again."),
)


def render_error(request: HttpRequest, status: int, page: ErrorPage | None = None) -> HttpResponse:
    """The page for ``status`` in the site's layout; if the layout itself fails (the database
    down behind a 500), the same words on a bare page, so the buyer never sees a blank one."""
    context = {"status": status, "page": page or PAGES[status]}
    try:
        body = loader.render_to_string("web/error.html", context, request)
    except Exception:
        # Logged without the exception's text: it may quote what the buyer sent.
        logger.error("error_page_layout_failed", extra={"status": status})
        body = loader.render_to_string("web/error_bare.html", context)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render_error(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a stale or cross-site form. The reason stays out of the page."""
    return render_error(request, 403, CSRF_PAGE)


class ErrorPageMiddleware:
    """A page for the 405 that ``require_POST``/``require_GET`` answer with an empty body
    (a GET on a form's POST-only URL, e.g. after a redirect); its ``Allow`` header stays.
    Responses with a body (the APIs' JSON envelopes) pass untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 405 or response.content or response.streaming:
            return response
        page = render_error(request, 405)
        if "Allow" in response.headers:
            page.headers["Allow"] = response.headers["Allow"]
        return page
