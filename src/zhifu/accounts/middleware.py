"""Wallet session rules and the e-mail confirmation gate.

SessionTimeoutMiddleware: a signed-in session ends after 1 hour without a request or 24
hours after sign-in, whichever comes first (times from zhifu.kernel.clock, so tests move
them). The session is flushed on the server, not only forgotten by the browser.

EmailGateMiddleware: until a signed-in buyer has confirmed an e-mail address, every wallet
page redirects to the gate. Views that must stay reachable are marked with
``@gate_exempt`` (the hook for the payment cashier, so a buyer can pay a first order
without registering), or listed by URL name in ``EXEMPT_URL_NAMES``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from zhifu.accounts import domain
from zhifu.kernel import clock
from zhifu.security import services as security

SIGNED_IN_AT = "zhifu_signed_in_at"
EPOCH = domain.SESSION_EPOCH_KEY
LAST_SEEN_AT = "zhifu_last_seen_at"
ENDED_FLAG = "zhifu_session_ended"
_TOUCH_EVERY = dt.timedelta(seconds=30)  # avoid a session write on every request

V = TypeVar("V", bound=Callable[..., Any])

# Views of other apps that an unconfirmed buyer still needs.
EXEMPT_URL_NAMES = {"healthz", "set_language", "dev-mailbox", "dev-mail-message", "dev-mail-html"}


def gate_exempt(view: V) -> V:
    """Let buyers who have not confirmed their e-mail reach this view."""
    view.email_gate_exempt = True  # type: ignore[attr-defined]
    return view


def start_session(request: HttpRequest) -> None:
    now = clock.now().timestamp()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    request.session[EPOCH] = getattr(request.user, "sessions_epoch", 0)


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = clock.now()
            signed_in = request.session.get(SIGNED_IN_AT)
            seen = request.session.get(LAST_SEEN_AT)
            if signed_in is None or seen is None:
                ended: str | None = "absolute"  # a session we did not start: refuse it
            else:
                ended = domain.session_expired(
                    dt.datetime.fromtimestamp(signed_in, dt.UTC),
                    dt.datetime.fromtimestamp(seen, dt.UTC),
                    now,
                )
            if not ended and request.session.get(EPOCH, 0) < getattr(
                request.user, "sessions_epoch", 0
            ):
                ended = "revoked"  # a recovery or a freeze ended the user's sessions
            if ended:
                logout(request)  # flushes the session row and rotates the key
                request.session[ENDED_FLAG] = ended
            elif now.timestamp() - float(seen or 0) >= _TOUCH_EVERY.total_seconds():
                request.session[LAST_SEEN_AT] = now.timestamp()
            if not ended:
                security.note_shop(request.session.get(domain.PLATFORM_NAME_KEY, ""))
        return self.get_response(request)


class EmailGateMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or getattr(user, "email_confirmed", True):
            return None
        if getattr(view_func, "email_gate_exempt", False):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in EXEMPT_URL_NAMES:
            return None
        return HttpResponseRedirect(reverse("accounts:confirm-email"))
