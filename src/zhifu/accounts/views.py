"""Thin views of the wallet's entry: home, SSO, e-mail gate, registration, account.

Each parses the request, calls one use case of ``services`` and renders; refusals carry
their own sentence (``accounts.errors``), so no view restates a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import structlog
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhifu.accounts import domain, services
from zhifu.accounts.errors import (
    AccountsRefusal,
    LinkExpired,
    LinkProblem,
    LinkUnknown,
    SignInFailed,
)
from zhifu.accounts.forms import (
    ChangeEmailForm,
    ConnectForm,
    EmailForm,
    PaymentPasswordForm,
    RegistrationForm,
)
from zhifu.accounts.middleware import ENDED_FLAG, gate_exempt, start_session
from zhifu.config.site import config
from zhifu.credentials import domain as credentials_domain
from zhifu.credentials import errors as credentials_errors
from zhifu.credentials import services as credentials

log = structlog.get_logger(__name__)

View = Callable[..., HttpResponse]


# The slug of the shop this browser last chose to sign in through (kept across sign-out).
LAST_PLATFORM_KEY = "zhifu_last_platform"


def _sign_in_choice(request: HttpRequest, wanted: str | None = None) -> dict[str, Any]:
    """The shops offered and the one preselected: the one just asked for (a failed sign-in's,
    or ``/?platform=<slug>`` from a shop's "My wallet" link), else the last one chosen,
    else the first registered."""
    platforms = services.active_platforms()
    by_slug = {p.slug: p for p in platforms}
    asked = (wanted, request.GET.get("platform"), request.session.get(LAST_PLATFORM_KEY))
    chosen = next((by_slug[s] for s in asked if s and s in by_slug), None)
    return {"platforms": platforms, "chosen": chosen or (platforms[0] if platforms else None)}


def _remember_choice(request: HttpRequest, slug: str | None) -> None:
    if slug and request.session.get(LAST_PLATFORM_KEY) != slug:
        request.session[LAST_PLATFORM_KEY] = slug


def _signed_out(request: HttpRequest, status: int = 401) -> HttpResponse:
    ended = request.session.pop(ENDED_FLAG, None)
    return render(
        request,
        "accounts/home.html",
        {
            **_sign_in_choice(request),
            "next": domain.safe_next(request.get_full_path()) or "",
            "ended": ended,
            "signed_out": True,
            **_session_limits(),
        },
        status=status,
    )


def _session_limits() -> dict[str, int]:
    """The session rules' numbers, for the sentences that say why a session ended."""
    return {
        "idle_hours": int(domain.IDLE_TIMEOUT.total_seconds() // 3600),
        "absolute_hours": int(domain.ABSOLUTE_TIMEOUT.total_seconds() // 3600),
    }


def wallet_login_required(view: View) -> View:
    """Signed-out visitors get 401 and the sign-in button (coming back here afterwards)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return _signed_out(request)
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> services.User:
    return services.wallet_user(request.user)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:account")
    ended = request.session.pop(ENDED_FLAG, None)
    next_path = domain.safe_next(request.GET.get("next")) or ""  # from login_required
    choice = _sign_in_choice(request)
    if choice["chosen"] is not None and request.GET.get("platform") == choice["chosen"].slug:
        _remember_choice(request, choice["chosen"].slug)
    return render(
        request,
        "accounts/home.html",
        {
            **choice,
            "next": next_path,
            "ended": ended,
            # Sent here by a signed-in page (/cards/…): say why, as /account/ does.
            "signed_out": bool(next_path),
            **_sign_out_notice(request),
            **_session_limits(),
        },
    )


# --- SSO ------------------------------------------------------------------------------


def _login_failed(request: HttpRequest, refused: SignInFailed) -> HttpResponse:
    log.warning("sso.refused", reason=refused.reason)
    if request.user.is_authenticated:
        # A stale or forged callback in a signed-in browser: the session stands, and "press
        # the button again" would make no sense to its buyer.
        messages.info(request, _("You are already signed in to your wallet."))
        return redirect("accounts:account")
    return render(
        request,
        "accounts/home.html",
        {
            **_sign_in_choice(request, request.POST.get("platform")),
            "next": domain.safe_next(request.POST.get("next")) or "",
            "login_error": refused.message,
            "code": refused.reason,
        },
        status=refused.status,
    )


@gate_exempt
@require_POST
def oidc_login(request: HttpRequest) -> HttpResponse:
    slug = request.POST.get("platform", "")
    try:
        url = services.begin_sso(request.session, slug, request.POST.get("next"))
    except SignInFailed as exc:
        return _login_failed(request, exc)
    _remember_choice(request, slug)
    return HttpResponseRedirect(url)


@gate_exempt
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    try:
        done = services.complete_sso(
            request.session,
            request.GET.get("state"),
            request.GET.get("code"),
            request.GET.get("error"),
            request.GET.get("iss"),
        )
    except SignInFailed as exc:
        return _login_failed(request, exc)
    # login() gives the session a new key (no fixation) and drops any earlier user's data.
    login(request, done.user, backend="django.contrib.auth.backends.ModelBackend")
    start_session(request)
    services.remember_platform(request.session, done.platform)
    _remember_choice(request, done.platform.slug)
    log.info("sso.signed_in", platform=done.platform.slug, user=done.user.pk)
    return HttpResponseRedirect(done.next_path or reverse("accounts:account"))


@gate_exempt
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    last = request.session.get(LAST_PLATFORM_KEY)
    platform_id = request.session.get(services.PLATFORM_KEY)
    logout(request)  # deletes the session on the server
    _remember_choice(request, last)  # the next sign-in offers the same shop first
    # The home page says "You signed out" once, and offers to sign out of the shop too.
    request.session[domain.SIGNED_OUT_KEY] = platform_id
    return redirect("accounts:home")


def _sign_out_notice(request: HttpRequest) -> dict[str, Any]:
    """Right after "Sign out": that, and the offer to sign out of the shop too; back from
    the shop's sign-out: that it is done."""
    if domain.SIGNED_OUT_KEY in request.session:
        platform_id = request.session.pop(domain.SIGNED_OUT_KEY)
        return {
            "wallet_signed_out": True,
            "shop_sign_out": services.offer_shop_sign_out(request.session, platform_id),
        }
    shop = services.shop_signed_out(request.session, request.GET.get("state"))
    return {"shop_signed_out": shop} if shop is not None else {}


# --- e-mail gate ---------------------------------------------------------------------


def _send_rules() -> dict[str, str]:
    """The resend and link rules as phrases, each number from ``domain`` in its plural."""
    seconds = int(domain.RESEND_COOLDOWN.total_seconds())
    times = domain.RESENDS_PER_HOUR
    return {
        "cooldown": ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds},
        "hourly": ngettext("at most %(n)d time an hour", "at most %(n)d times an hour", times)
        % {"n": times},
    }


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
    shop_address = services.shop_email(user)
    connect_form = ConnectForm(initial={"email": shop_address})
    if request.method == "POST":
        form = EmailForm(request.POST)
        if form.is_valid():
            try:
                services.send_confirmation(user, form.cleaned_data["email"])
                return redirect("accounts:confirm-email")
            except services.SendLimited as exc:
                limit_error, status = exc.message, exc.http_status
        else:
            status = 400
    else:
        initial = last.email if last else shop_address
        form = EmailForm(initial={"email": initial})
    return _gate(request, form, connect_form, last, limit_error, status)


def _gate(
    request: HttpRequest,
    form: EmailForm,
    connect_form: ConnectForm,
    last: Any,
    limit_error: str,
    status: int,
) -> HttpResponse:
    """The gate: confirm an address, or connect this shop to the wallet of one."""
    mailbox = f"{config().urls['wallet']}/_dev/mail/" if config().demo else ""
    return render(
        request,
        "accounts/confirm_email.html",
        {
            "form": form,
            "connect_form": connect_form,
            "connect_sent": services.last_connect_request(_user(request)),
            "connect_minutes": int(domain.CONNECT_LINK_LIFETIME.total_seconds() // 60),
            "sent": last,
            "resend_wait": services.resend_wait(_user(request)) if last else 0,
            "mailbox_url": mailbox,
            "limit_error": limit_error,
            "rules": _send_rules(),
            "link_hours": int(domain.LINK_LIFETIME.total_seconds() // 3600),
        },
        status=status,
    )


@gate_exempt
@wallet_login_required
@require_POST
def connect_request(request: HttpRequest) -> HttpResponse:
    """ "Connect this shop to my wallet": e-mail the wallet of that address a link."""
    user = _user(request)
    if user.email_confirmed:
        return redirect("accounts:account")
    connect_form = ConnectForm(request.POST)
    limit_error, status = "", 400
    if connect_form.is_valid():
        try:
            services.request_connect(
                user, request.session.get(services.PLATFORM_KEY), connect_form.cleaned_data["email"]
            )
            return redirect(reverse("accounts:confirm-email") + "#connect")
        except services.SendLimited as exc:
            limit_error, status = exc.message, exc.http_status
        except services.ConnectLinkProblem as exc:
            return _link_problem(request, exc, user)
    form = EmailForm(initial={"email": services.shop_email(user)})
    return _gate(request, form, connect_form, services.last_confirmation(user), limit_error, status)


@gate_exempt
@sensitive_post_parameters("pin")
@wallet_login_required
@require_http_methods(["GET", "POST"])
def connect(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the e-mail: the wallet's payment password connects this shop."""
    user = _user(request)
    platform_id = request.session.get(services.PLATFORM_KEY)
    try:
        row = services.check_connect_link(user, platform_id, token)
    except LinkProblem as exc:
        return _link_problem(request, exc, user)
    status = 200
    if request.method == "POST":
        form = PaymentPasswordForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                owner = services.connect_platform(
                    user, platform_id, token, form.cleaned_data["pin"]
                )
            except LinkProblem as exc:
                return _link_problem(request, exc, user)
            except credentials.CredentialsRefusal as exc:
                if words := credentials_errors.field_error(exc):
                    form.add_error("pin", words)
                status = exc.http_status
            else:
                platform = row.identity.platform
                login(request, owner, backend="django.contrib.auth.backends.ModelBackend")
                start_session(request)
                services.remember_platform(request.session, platform)
                log.info("accounts.shop_connected", platform=platform.slug, user=owner.pk)
                return redirect(reverse("accounts:account") + "#shops")
    else:
        form = PaymentPasswordForm()
    return render(
        request,
        "accounts/connect.html",
        # A POST drawn again was refused (a lock too, said in the lock's notice alone).
        {
            "form": form,
            "shop": row.identity.platform.name,
            "address": row.email,
            "not_connected": request.method == "POST",
        },
        status=status,
    )


def _link_problem(
    request: HttpRequest, refused: AccountsRefusal, user: services.User
) -> HttpResponse:
    connect = isinstance(refused, services.ConnectLinkProblem)
    message = refused.message
    if user.email_confirmed and isinstance(refused, LinkUnknown | LinkExpired):
        # Not "send a new confirmation e-mail": there is nothing left to confirm.
        message = _("Your e-mail is already confirmed: you no longer need this link.")
    return render(
        request,
        "accounts/link_problem.html",
        {
            "message": message,
            "confirmed": user.email_confirmed,
            "connect": connect,
        },
        status=refused.http_status,
    )


@gate_exempt
@sensitive_post_parameters("pin", "pin_repeat", "answer_1", "answer_2", "answer_3")
@wallet_login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, token: str) -> HttpResponse:
    user = _user(request)
    try:
        row = services.check_link(user, token)
    except LinkProblem as exc:
        return _link_problem(request, exc, user)
    if request.method == "POST":
        form = RegistrationForm(request.POST, email=row.email)
        if form.is_valid():
            try:
                services.complete_registration(
                    user,
                    token,
                    form.cleaned_data["pin"],
                    credentials_domain.question_choices(form.answers()),
                )
            except (LinkProblem, services.EmailTaken) as exc:
                return _link_problem(request, exc, user)
            return redirect("accounts:registered")
        status = 400
    else:
        form, status = RegistrationForm(email=row.email), 200
    return render(
        request,
        "accounts/register.html",
        {"form": form, "email": row.email, "pin_length": credentials_domain.PIN_LENGTH},
        status=status,
    )


@wallet_login_required
@require_GET
def registered(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/registered.html")


@wallet_login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    return _account(request)


def _account(
    request: HttpRequest, shop_error: str = "", error_shop: int | None = None, status: int = 200
) -> HttpResponse:
    user = _user(request)
    platform = services.platform_for_session(request.session)
    return render(
        request,
        "accounts/account.html",
        {
            "platform": platform,
            "balance_enabled": services.balance_policy(platform).enabled,
            "balances": [m.format(get_language() or "en") for m in services.balances_of(user)],
            "cards_url": reverse("cards:list"),
            "questions": credentials.question_labels(user),
            "locked_until": credentials.lock_state(user),
            "max_failures": credentials_domain.MAX_FAILURES,
            "shops": services.connected_shops(user),
            "restrictions": services.restrictions(user),
            "recent_events": services.recent_security_events(user),
            "shop_form": PaymentPasswordForm(),
            "shop_error": shop_error,
            "error_shop": error_shop,
        },
        status=status,
    )


@sensitive_post_parameters("pin")
@wallet_login_required
@require_POST
def remove_shop(request: HttpRequest, identity_id: int) -> HttpResponse:
    """Remove a connected shop from the wallet (payment password)."""
    form = PaymentPasswordForm(request.POST)
    if not form.is_valid():
        return _account(request, str(form.errors["pin"][0]), identity_id, 400)
    try:
        services.disconnect_platform(
            _user(request),
            identity_id,
            request.session.get(services.PLATFORM_KEY),
            form.cleaned_data["pin"],
        )
    except (AccountsRefusal, credentials.CredentialsRefusal) as exc:
        return _account(request, exc.message, identity_id, exc.http_status)
    return redirect(reverse("accounts:account") + "#shops")


# --- changing the confirmed address -----------------------------------------------------


@sensitive_post_parameters("pin")
@wallet_login_required
@require_http_methods(["GET", "POST"])
def change_email(request: HttpRequest) -> HttpResponse:
    """A new address, behind the payment password (SEC-21: 403 without it)."""
    user = _user(request)
    status, sent = 200, False
    form = ChangeEmailForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.request_email_change(
                    user, form.cleaned_data["email"], form.cleaned_data["pin"]
                )
            except credentials.CredentialsRefusal as exc:
                if words := credentials_errors.field_error(exc):
                    form.add_error("pin", words)
                status = exc.http_status
            except AccountsRefusal as exc:
                form.add_error("email", exc.message)
                status = exc.http_status
            else:
                sent, status = True, 200
                form = ChangeEmailForm(initial={"email": form.cleaned_data["email"]})
        elif "pin" in form.errors:
            status = 403
    return render(
        request,
        "accounts/change_email.html",
        {"form": form, "sent": sent, "hours": int(domain.LINK_LIFETIME.total_seconds() // 3600)},
        status=status,
    )


@wallet_login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to the new address: confirmed with one button in the buyer's session."""
    user = _user(request)
    try:
        row = services.check_email_change(user, token)
        if request.method == "POST":
            services.confirm_email_change(user, token)
            return redirect("accounts:account")
    except (LinkProblem, services.EmailTaken) as exc:
        return _link_problem(request, exc, user)
    return render(request, "accounts/confirm_email_change.html", {"address": row.email})
