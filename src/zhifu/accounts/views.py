"""Thin views of the wallet's entry: home, SSO, e-mail gate, registration, account."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import structlog
from django import forms
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhifu.accounts import domain, oidc, services
from zhifu.accounts.middleware import ENDED_FLAG, gate_exempt, start_session
from zhifu.accounts.models import Platform, User
from zhifu.config.site import config
from zhifu.credentials import services as credentials
from zhifu.credentials.forms import RegistrationForm
from zhifu.credentials.questions import QUESTIONS

log = structlog.get_logger(__name__)

PLATFORM_KEY = "zhifu_platform_id"
PLATFORM_NAME_KEY = "zhifu_platform_name"

View = Callable[..., HttpResponse]


def _platforms() -> list[Platform]:
    return list(Platform.objects.filter(is_active=True).order_by("id"))


def _signed_out(request: HttpRequest, status: int = 401) -> HttpResponse:
    ended = request.session.pop(ENDED_FLAG, None)
    return render(
        request,
        "accounts/home.html",
        {
            "platforms": _platforms(),
            "next": domain.safe_next(request.get_full_path()) or "",
            "ended": ended,
            "signed_out": True,
        },
        status=status,
    )


def wallet_login_required(view: View) -> View:
    """Signed-out visitors get 401 and the sign-in button (coming back here afterwards)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _signed_out(request)
        return view(request, *args, **kwargs)

    return wrapper


def current_platform(request: HttpRequest) -> Platform | None:
    pid = request.session.get(PLATFORM_KEY)
    return Platform.objects.filter(pk=pid).first() if pid else None


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:account")
    ended = request.session.pop(ENDED_FLAG, None)
    next_path = domain.safe_next(request.GET.get("next")) or ""  # from login_required
    return render(
        request,
        "accounts/home.html",
        {"platforms": _platforms(), "next": next_path, "ended": ended},
    )


# --- SSO ------------------------------------------------------------------------------

LOGIN_ERROR = _("Signing in through your shop did not work. Please press “Go to my wallet” again.")


def _login_failed(request: HttpRequest, code: str, status: int = 400) -> HttpResponse:
    log.warning("sso.refused", reason=code)
    return render(
        request,
        "accounts/home.html",
        {"platforms": _platforms(), "next": "", "login_error": LOGIN_ERROR, "code": code},
        status=status,
    )


@gate_exempt
@require_POST
def oidc_login(request: HttpRequest) -> HttpResponse:
    platforms = {p.slug: p for p in _platforms()}
    slug = request.POST.get("platform", "")
    platform = platforms.get(slug) if slug else next(iter(platforms.values()), None)
    if platform is None:
        return _login_failed(request, "unknown_platform")
    try:
        client = _client(platform)
        url = oidc.begin(request.session, client, domain.safe_next(request.POST.get("next")))
    except oidc.LoginError as exc:
        return _login_failed(request, exc.code, status=502)
    return HttpResponseRedirect(url)


def _client(platform: Platform) -> oidc.Client:
    return oidc.Client(
        platform_id=platform.pk,
        issuer=platform.issuer,
        client_id=platform.client_id,
        client_secret=oidc.client_secret(platform.client_secret_name),
        scopes=platform.scopes,
    )


@gate_exempt
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    try:
        attempt = oidc.take_pending(request.session, request.GET.get("state"))
    except oidc.LoginError as exc:
        return _login_failed(request, exc.code)
    if request.GET.get("error"):
        return _login_failed(request, "provider_error")
    platform = Platform.objects.filter(pk=attempt["platform"], is_active=True).first()
    if platform is None:
        return _login_failed(request, "unknown_platform")
    try:
        claims = oidc.finish(_client(platform), attempt, request.GET.get("code"))
    except oidc.LoginError as exc:
        return _login_failed(request, exc.code)
    user = services.sign_in(platform, claims)
    if not user.is_active:
        return _login_failed(request, "inactive", status=403)
    # login() gives the session a new key (no fixation) and drops any earlier user's data.
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session.cycle_key()
    start_session(request)
    request.session[PLATFORM_KEY] = platform.pk
    request.session[PLATFORM_NAME_KEY] = platform.name
    log.info("sso.signed_in", platform=platform.slug, user=user.pk)
    return HttpResponseRedirect(
        domain.safe_next(attempt.get("next")) or reverse("accounts:account")
    )


@gate_exempt
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # deletes the session on the server
    return redirect("accounts:home")


# --- e-mail gate ---------------------------------------------------------------------


class EmailForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail"),
        max_length=254,
        error_messages={
            "required": _("Enter your e-mail address."),
            "invalid": _("Enter a valid e-mail address, like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _limit_message(refused: domain.SendRefused) -> str:
    if refused.reason == "cooldown":
        return str(
            _("Please wait %(seconds)d seconds before sending the e-mail again.")
            % {"seconds": refused.wait_seconds}
        )
    minutes = max(1, (refused.wait_seconds + 59) // 60)
    return str(
        _(
            "You have sent 5 confirmation e-mails in the last hour, the most we allow. "
            "Please try again in %(minutes)d minutes."
        )
        % {"minutes": minutes}
    )


@gate_exempt
@wallet_login_required
@require_http_methods(["GET", "POST"])
def confirm_email(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.email_confirmed:
        return redirect("accounts:account")
    last = services.last_confirmation(user)
    status = 200
    limit_error = ""
    if request.method == "POST":
        form = EmailForm(request.POST)
        if form.is_valid():
            try:
                services.send_confirmation(user, form.cleaned_data["email"])
                return redirect("accounts:confirm-email")
            except services.SendLimited as exc:
                limit_error, status = _limit_message(exc.refused), 429
            except services.EmailTaken:
                form.add_error(
                    "email",
                    _("This address is already confirmed for another wallet account."),
                )
                status = 400
        else:
            status = 400
    else:
        initial = last.email if last else services.shop_email(user)
        form = EmailForm(initial={"email": initial})
    mailbox = f"{config().urls['wallet']}/_dev/mail/" if config().demo else ""
    return render(
        request,
        "accounts/confirm_email.html",
        {"form": form, "sent": last, "mailbox_url": mailbox, "limit_error": limit_error},
        status=status,
    )


LINK_MESSAGES = {
    "unknown": (_("This link is not valid. Send a new confirmation e-mail."), 404),
    "used": (_("This link has already been used. Each link works only once."), 410),
    "expired": (
        _("This link has expired: links work for 24 hours. Send a new confirmation e-mail."),
        410,
    ),
    "other_account": (
        _("This link belongs to another wallet account. Sign in with the account it was sent to."),
        403,
    ),
    "already_confirmed": (_("Your e-mail is already confirmed."), 410),
}


@gate_exempt
@wallet_login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, token: str) -> HttpResponse:
    user = _user(request)
    try:
        row = services.check_link(user, token)
    except services.LinkProblem as exc:
        message, status = LINK_MESSAGES[exc.code]
        return render(
            request,
            "accounts/link_problem.html",
            {"message": message, "confirmed": user.email_confirmed},
            status=status,
        )
    if request.method == "POST":
        form = RegistrationForm(request.POST, email=row.email)
        if form.is_valid():
            try:
                services.complete_registration(
                    user, token, form.cleaned_data["pin"], form.choices()
                )
            except services.LinkProblem as exc:
                message, status = LINK_MESSAGES[exc.code]
                return render(
                    request, "accounts/link_problem.html", {"message": message}, status=status
                )
            except services.EmailTaken:
                message = _("This address is already confirmed for another wallet account.")
                return render(
                    request, "accounts/link_problem.html", {"message": message}, status=409
                )
            return redirect("accounts:registered")
        status = 400
    else:
        form, status = RegistrationForm(email=row.email), 200
    return render(
        request, "accounts/register.html", {"form": form, "email": row.email}, status=status
    )


@wallet_login_required
@require_GET
def registered(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/registered.html")


def cards_url() -> str:
    try:
        return reverse("cards:list")
    except NoReverseMatch:
        return "/cards/"  # the vault's pages mount here


@wallet_login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not credentials.has_payment_password(user):
        # Confirmed but no credentials (should not happen: both are set together).
        return redirect("accounts:confirm-email")
    platform = current_platform(request)
    questions = [QUESTIONS.get(k, k) for k in credentials.questions_of(user)]
    return render(
        request,
        "accounts/account.html",
        {
            "platform": platform,
            "balance_enabled": services.balance_policy(platform).enabled,
            "balances": [m.format(get_language() or "en") for m in services.balances_of(user)],
            "cards_url": cards_url(),
            "questions": questions,
            "locked_until": credentials.lock_state(user),
        },
    )


@wallet_login_required
@require_GET
def forgot_payment_password(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/forgot_payment_password.html")
