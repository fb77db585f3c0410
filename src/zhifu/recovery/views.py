"""Thin views of recovery: parse, call one use case of ``services``, render.

Every page is ``no-store`` (no shared cache keeps one). A link's token leaves the address
bar at once: the response to the token's URL is a redirect to a tokenless page, served with
``Referrer-Policy: no-referrer`` so the token never travels in a Referer header; the session
keeps only its hash. The tokenless pages keep the site's ``same-origin`` policy: under
``no-referrer`` a browser sends ``Origin: null`` with a form, which CSRF rightly refuses.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhifu.config.site import config
from zhifu.recovery import domain, services
from zhifu.recovery.errors import RecoveryRefusal, SelfServiceLocked
from zhifu.recovery.forms import AnswersForm, NewPinForm, RequestForm
from zhifu.web.client_ip import client_ip
from zhifu.web.forms import add_errors

View = Callable[..., HttpResponse]
ANSWERS = ("answer_1", "answer_2", "answer_3")


def private(view: View) -> View:
    """No cache keeps these pages."""
    return never_cache(view)


def token_url(view: View) -> View:
    """The view of a URL that carries a token: no Referer leaves its response."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return never_cache(wrapper)


def _refused(request: HttpRequest, refusal: RecoveryRefusal) -> HttpResponse:
    if isinstance(refusal, SelfServiceLocked):
        return _support(request, refusal.message, refusal.http_status)
    return render(
        request,
        "recovery/problem.html",
        {"message": refusal.message, "code": refusal.code},
        status=refusal.http_status,
    )


def _support(request: HttpRequest, message: str = "", status: int = 200) -> HttpResponse:
    # The address every e-mail names for support (ZHIFU_SUPPORT_EMAIL).
    support = config().env.support_email
    return render(
        request, "recovery/support.html", {"message": message, "support": support}, status=status
    )


def _limits() -> dict[str, int]:
    return {
        "minutes": int(domain.LINK_LIFETIME.total_seconds() // 60),
        "per_hour": domain.REQUESTS_PER_HOUR,
    }


# --- 1. the address and the captcha ---------------------------------------------------------


@private
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """The same answer whether the address has an account or not (SEC-16): a redirect to
    the same "sent" page; the worker decides whether an e-mail goes out."""
    if request.method == "POST":
        form = RequestForm(request.POST)
        if form.is_valid():
            user = request.user if request.user.is_authenticated else None
            services.request_link(form.cleaned_data["email"], client_ip(request), user)
            return redirect("recovery:sent")
        status = 400
    else:
        initial = getattr(request.user, "email", "") if request.user.is_authenticated else ""
        form, status = RequestForm(initial={"email": initial or ""}), 200
    return render(request, "recovery/start.html", {"form": form, **_limits()}, status=status)


@private
@require_GET
def new_captcha(request: HttpRequest) -> HttpResponse:
    """A new picture for the form (the refresh button swaps it in with htmx)."""
    return HttpResponse(str(RequestForm()["captcha"].as_widget()))


@private
@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "recovery/sent.html", _limits())


# --- 2. the link -------------------------------------------------------------------------------


@token_url
@require_GET
def link(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: keep its hash in the session and drop the token from the URL."""
    services.remember_link(request.session, token)
    return redirect("recovery:questions")


# --- 3. the answers ----------------------------------------------------------------------------


@private
@sensitive_post_parameters(*ANSWERS)
@login_required
@require_http_methods(["GET", "POST"])
def questions(request: HttpRequest) -> HttpResponse:
    try:
        row = services.open_link(request.user, request.session)
    except RecoveryRefusal as exc:
        return _refused(request, exc)
    labels = services.questions(request.user)
    status, wrong = 200, False
    if request.method == "POST":
        form = AnswersForm(request.POST, questions=labels)
        status = 400
        if form.is_valid():
            try:
                if services.submit_answers(request.user, request.session, form.answers()):
                    return redirect("recovery:new-password")
            except RecoveryRefusal as exc:
                return _refused(request, exc)
            row.refresh_from_db()
            if row.revoked_at is not None:
                return _refused(request, services.LinkGone())
            wrong = True
        form = AnswersForm(questions=labels)  # answers are never sent back
    else:
        form = AnswersForm(questions=labels)
    left = domain.WRONG_PER_LINK - row.wrong_submissions
    return render(
        request,
        "recovery/questions.html",
        {"form": form, "wrong": wrong, "left": left},
        status=status,
    )


# --- 4. the new payment password -----------------------------------------------------------


@private
@sensitive_post_parameters("pin", "pin_repeat")
@login_required
@require_http_methods(["GET", "POST"])
def new_password(request: HttpRequest) -> HttpResponse:
    try:
        services.answered_link(request.user, request.session)
    except RecoveryRefusal as exc:
        return _refused(request, exc)
    status = 200
    if request.method == "POST":
        form = NewPinForm(request.POST)
        status = 400
        if form.is_valid():
            errors = services.new_pin_errors(
                request.user, form.cleaned_data["pin"], form.cleaned_data["pin_repeat"]
            )
            add_errors(form, errors)
        if form.is_valid():
            try:
                services.set_new_pin(request.user, request.session, form.cleaned_data["pin"])
            except services.SamePin as exc:
                form.add_error("pin", exc.message)
            except RecoveryRefusal as exc:
                return _refused(request, exc)
            else:
                return redirect("recovery:done")
    else:
        form = NewPinForm()
    return render(request, "recovery/new_password.html", {"form": form}, status=status)


@private
@login_required
@require_GET
def done(request: HttpRequest) -> HttpResponse:
    state = services.restrictions(request.user)
    return render(
        request,
        "recovery/done.html",
        {
            "cool_off_until": state.cool_off_until,
            "days": domain.FREEZE_LINK_LIFETIME.days,
        },
    )


@private
@require_GET
def support(request: HttpRequest) -> HttpResponse:
    return _support(request)


# --- "This wasn't me" ----------------------------------------------------------------------


@token_url
@require_GET
def freeze_link(request: HttpRequest, token: str) -> HttpResponse:
    services.remember_link(request.session, token, services.FREEZE_KEY)
    return redirect("recovery:freeze")


@private
@require_http_methods(["GET", "POST"])
def freeze(request: HttpRequest) -> HttpResponse:
    """One confirmation, no sign-in beyond the link."""
    try:
        if request.method == "POST":
            services.freeze_by_link(request.session)
            return render(request, "recovery/frozen.html", _frozen_rules())
        services.freeze_link(request.session)
    except RecoveryRefusal as exc:
        return _refused(request, exc)
    return render(request, "recovery/freeze.html")


def _frozen_rules() -> dict[str, int]:
    return {"wait_hours": services.freeze_wait_hours()}


@private
@login_required
@require_POST
def freeze_now(request: HttpRequest) -> HttpResponse:
    services.freeze_now(request.user)
    return render(request, "recovery/frozen.html", _frozen_rules())


# --- the buyer's security log ------------------------------------------------------------------


@private
@login_required
@require_GET
def security_log(request: HttpRequest) -> HttpResponse:
    page = services.security_log(request.user, request.GET.get("page", 1))
    return render(
        request,
        "recovery/security_log.html",
        {"page": page, "frozen": services.restrictions(request.user).frozen},
    )


# --- the cool-off's fresh e-mail confirmation ------------------------------------------------


@private
@login_required
@require_http_methods(["GET", "POST"])
def confirm_request(request: HttpRequest) -> HttpResponse:
    sent_now = False
    if request.method == "POST":
        services.send_confirmation(request.user)
        sent_now = True
    state = services.restrictions(request.user)
    return render(
        request,
        "recovery/confirm.html",
        {
            "sent": sent_now,
            "cool_off_until": state.cool_off_until,
            "minutes": int(domain.CONFIRM_LINK_LIFETIME.total_seconds() // 60),
        },
    )


@token_url
@require_GET
def confirm_link(request: HttpRequest, token: str) -> HttpResponse:
    services.remember_link(request.session, token, services.CONFIRM_KEY)
    return redirect("recovery:confirmed")


@private
@login_required
@require_GET
def confirm_done(request: HttpRequest) -> HttpResponse:
    try:
        services.confirm_by_link(request.user, request.session)
    except RecoveryRefusal as exc:
        return _refused(request, exc)
    return render(request, "recovery/confirmed.html", {"minutes": services.confirmation_minutes()})
