from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from zhifu.client import WebhookVerificationError
from zhifu.config.site import config
from zhifu.kernel import money_format
from zhifu.kernel.money import Money
from zhifu.marketplace import branding, cart, domain, services
from zhifu.marketplace import checkout as payments
from zhifu.marketplace.forms import (
    AddToCartForm,
    ChallengeForm,
    ChangePasswordForm,
    LocalizedPasswordResetForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    QuantityForm,
    RefundForm,
    SignUpForm,
)
from zhifu.marketplace.throttle import network_locked
from zhifu.web.client_ip import client_ip

_LANGS = {code for code, _name in services.LOCALES}


def _language() -> str:
    return (get_language() or "en").split("-")[0]


def _buyer(request: HttpRequest) -> services.Buyer:
    return services.buyer_of(request.user)


def safe_next(request: HttpRequest, value: str | None) -> str:
    """`next` only if it points into this site (no open redirect), else ""."""
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


def _with_language_cookie(response: HttpResponseBase, locale: str) -> HttpResponseBase:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        locale,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


# Where "Place order" comes back to after a log-in or a sign-up: the cart, saying so; never
# /checkout/ itself, which answers only POST (a redirect there is a GET, so a 405).
CHECKOUT_RETURN = "/cart/?checkout=1"

View = Callable[..., HttpResponseBase]


def login_first(back: Callable[..., str]) -> Callable[[View], View]:
    """For a form's POST-only URL: a signed-out buyer logs in (or signs up) and comes back to
    ``back(**kwargs)``, the page the form is on, where one press sends it again."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(back(**kwargs))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _order_page(number: str) -> str:
    return reverse("order", args=[number])


# --- catalogue and cart ------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    lang = _language()
    products = [
        {"product": p, "name": p.name(lang), "price": p.price.format(lang)}
        for p in services.catalogue()
    ]
    return render(request, "marketplace/home.html", {"products": products})


@require_GET
def theme_css(request: HttpRequest) -> HttpResponse:
    """The accent colour of this shop as CSS (a file: the CSP allows no inline style)."""
    colour = branding.accent()
    if colour is None:
        raise Http404
    response = HttpResponse(branding.theme_css(colour), content_type="text/css; charset=utf-8")
    response.headers["Cache-Control"] = "public, max-age=86400"  # the URL names the colour
    return response


def _product_page(
    request: HttpRequest, product: services.Product, form: AddToCartForm, status: int = 200
) -> HttpResponse:
    lang = _language()
    context = {
        "product": product,
        "name": product.name(lang),
        "description": product.description(lang),
        "price": product.price.format(lang),
        "form": form,
    }
    return render(request, "marketplace/product.html", context, status=status)


def _on_sale(slug: str) -> services.Product:
    product = services.product_on_sale(slug)
    if product is None:
        raise Http404
    return product


@require_GET
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _product_page(request, _on_sale(slug), AddToCartForm())


@require_POST
def cart_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = _on_sale(slug)
    form = AddToCartForm(request.POST)
    lang = _language()
    if not form.is_valid():
        return _product_page(request, product, form, status=400)
    cart.add(request, product.pk, form.cleaned_data["quantity"])
    messages.success(request, _("%(name)s was added to your cart.") % {"name": product.name(lang)})
    return redirect("cart")


def _cart_context(request: HttpRequest) -> dict[str, Any]:
    lang = _language()
    lines = services.cart_lines(cart.read(request))
    groups = domain.split_by_currency(line for _p, line in lines)
    by_product = {p.pk: p for p, _line in lines}
    sections = []
    for currency, group in groups.items():
        sections.append(
            {
                "currency": currency,
                "currency_name": money_format.currency_name(currency, lang),
                "total": domain.total(group, currency).format(lang),
                "lines": [
                    {
                        "product": by_product[line.product_id],
                        "name": by_product[line.product_id].name(lang),
                        "quantity": line.quantity,
                        "unit_price": line.unit_price.format(lang),
                        "total": line.total.format(lang),
                    }
                    for line in group
                ],
            }
        )
    return {"sections": sections, "max_quantity": domain.MAX_QUANTITY}


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    context = _cart_context(request)
    # Back from the log-in that "Place order" asked for: the order is one press away.
    context["back_to_checkout"] = request.user.is_authenticated and "checkout" in request.GET
    return render(request, "marketplace/cart.html", context)


@require_POST
def cart_update(request: HttpRequest, slug: str) -> HttpResponse:
    product = services.product(slug)
    if product is None:
        raise Http404
    form = QuantityForm(request.POST)
    if form.is_valid():
        cart.set_quantity(request, product.pk, form.cleaned_data["quantity"])
        if form.cleaned_data["quantity"] == 0:
            messages.success(
                request,
                _("%(name)s was removed from your cart.") % {"name": product.name(_language())},
            )
    else:
        messages.error(
            request,
            _("Choose a quantity from 0 to %(max)d.") % {"max": domain.MAX_QUANTITY},
        )
    return redirect("cart")


@require_POST
@login_first(lambda: CHECKOUT_RETURN)
def checkout(request: HttpRequest) -> HttpResponseBase:
    try:
        orders = services.place_orders(_buyer(request), cart.read(request))
    except services.EmptyCart as exc:
        messages.error(request, exc.message)
        return redirect("cart")
    cart.clear(request)
    if len(orders) == 1:
        # One order: straight on to the wallet's cashier.
        return _pay(request, orders[0].number)
    messages.success(
        request,
        ngettext(
            "Your order has been placed and is awaiting payment.",
            "Your %(count)d orders have been placed (one per currency) and are awaiting payment.",
            len(orders),
        )
        % {"count": len(orders)},
    )
    return redirect("orders")


def _pay(request: HttpRequest, number: str) -> HttpResponseBase:
    """Send the buyer to the cashier for the order, or back to its page saying why not."""
    return_url = request.build_absolute_uri(reverse("order", args=[number]))
    try:
        cashier_url = payments.start_payment(_buyer(request), number, return_url)
    except services.OrderNotFound:
        raise Http404 from None
    except (payments.PaymentsUnavailable, payments.OrderNotPayable) as exc:
        messages.error(request, exc.message)
        return redirect("order", number=number)
    # Only to the wallet: a payment's URL is never an open redirect to elsewhere.
    if not cashier_url.startswith(config().urls["wallet"] + "/"):
        raise Http404
    return HttpResponseRedirect(cashier_url)


@require_POST
@login_first(_order_page)
def order_pay(request: HttpRequest, number: str) -> HttpResponseBase:
    return _pay(request, number)


@csrf_exempt  # the wallet signs it instead (Standard Webhooks), verified by the SDK
@require_POST
def zhifu_webhook(request: HttpRequest) -> HttpResponse:
    """The wallet's webhooks: verified, deduplicated by webhook-id, answered at once."""
    try:
        outcome = payments.receive_webhook(request.headers, request.body)
    except WebhookVerificationError:
        return JsonResponse({"error": "signature_invalid"}, status=400)
    return JsonResponse({"received": outcome.value})


# --- orders --------------------------------------------------------------------------------


@require_GET
@login_required
def orders(request: HttpRequest) -> HttpResponse:
    lang = _language()
    page = Paginator(services.orders_of(_buyer(request)), services.ORDERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [{"order": o, "total": o.total.format(lang)} for o in page]
    return render(request, "marketplace/orders.html", {"page": page, "rows": rows})


@require_GET
@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    lang = _language()
    try:
        found = services.order_of(_buyer(request), number)
    except services.OrderNotFound:
        raise Http404 from None
    lines = [
        {
            "product": line.product,
            "name": line.product.name(lang),
            "quantity": line.quantity,
            "unit_price": line.unit_price.format(lang),
            "total": line.total.format(lang),
        }
        for line in found.lines
    ]
    return render(
        request,
        "marketplace/order.html",
        {
            "order": found.order,
            "lines": lines,
            "total": found.order.total.format(lang),
            "refunded": found.order.refunded.format(lang),
            "refund_pending": found.order.refund_pending.format(lang),
            "refundable": found.order.refundable.format(lang),
            "can_cancel": found.can_cancel,
            "awaiting_payment": found.awaiting_payment,
            "payment": payments.payment_state(
                found.order, returned="payment_id" in request.GET
            ).value,
        },
    )


@require_POST
@login_first(_order_page)
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    try:
        payments.cancel_order(_buyer(request), number)
    except services.OrderNotFound:
        raise Http404 from None
    except (services.OrderNotCancellable, payments.PaymentsUnavailable) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Order %(number)s was cancelled.") % {"number": number})
    return redirect("order", number=number)


# --- the shop's staff ---------------------------------------------------------------------


def _staff(request: HttpRequest) -> services.Buyer:
    buyer = _buyer(request)
    if not buyer.is_staff:
        raise Http404  # a buyer does not learn that the page exists
    return buyer


@require_GET
@login_required
def staff_orders(request: HttpRequest) -> HttpResponse:
    lang = _language()
    rows = [
        {
            "order": row.order,
            "total": row.order.total.format(lang),
            "refunded": row.order.refunded.format(lang),
            "refundable": row.refundable.format(lang),
            "pending": row.order.refund_pending.format(lang)
            if row.order.refund_pending_minor
            else "",
            "can_refund": row.refundable.minor > 0,
        }
        for row in payments.paid_orders(_staff(request))
    ]
    return render(request, "marketplace/staff_orders.html", {"rows": rows})


@require_POST
@login_first(lambda number: reverse("staff-orders"))
def staff_refund(request: HttpRequest, number: str) -> HttpResponse:
    staff = _staff(request)
    form = RefundForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the amount to refund, or leave it empty for all."))
        return redirect("staff-orders")
    try:
        made = payments.refund(staff, number, form.cleaned_data["amount"])
    except (payments.RefundInvalid, payments.RefundRefused, payments.PaymentsUnavailable) as exc:
        messages.error(request, exc.message)
    else:
        amount = Money(made.amount, made.currency).format(_language())
        if made.status == domain.RefundStatus.PENDING:
            text = _(
                "The refund of %(amount)s of order %(number)s is waiting for the bank's answer."
            )
        else:
            text = _("Refunded %(amount)s of order %(number)s.")
        messages.success(request, text % {"amount": amount, "number": number})
    return redirect("staff-orders")


# --- accounts ------------------------------------------------------------------------------


def _signup_page(
    request: HttpRequest,
    form: SignUpForm,
    next_url: str,
    gate: domain.Gate,
    *,
    status: int = 200,
    challenge_failed: bool = False,
) -> HttpResponse:
    context: dict[str, Any] = {
        "form": form,
        "next": next_url,
        "closed": gate is domain.Gate.CLOSED,
        "challenge_failed": challenge_failed,
        "checkout_asking": next_url == CHECKOUT_RETURN,
    }
    if gate is domain.Gate.CHALLENGE:
        context["challenge"] = services.new_challenge()
    return render(request, "marketplace/signup.html", context, status=status)


def signup(request: HttpRequest) -> HttpResponseBase:
    """The same "check your mailbox" answer for every address (SEC-16); the e-mail says
    the rest. Sign-ups from one address meet the challenge, then a limit (SEC-17)."""
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url or "home")
    gate = services.signup_gate(client_ip(request))
    if request.method != "POST":
        return _signup_page(request, SignUpForm(initial={"locale": _language()}), next_url, gate)
    form = SignUpForm(request.POST)
    if gate is domain.Gate.CLOSED:
        return _signup_page(request, form, next_url, gate, status=429)
    if not form.is_valid():
        return _signup_page(request, form, next_url, gate, status=200)
    if gate is domain.Gate.CHALLENGE and not ChallengeForm(request.POST).solved():
        return _signup_page(request, form, next_url, gate, challenge_failed=True)
    data = form.cleaned_data
    services.start_signup(
        email=data["email"], password=data["password"], name=data["name"],
        locale=data["locale"], next_url=next_url, client_address=client_ip(request),
    )  # fmt: skip
    return redirect("signup-sent")


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    hours = int(domain.SIGNUP_LINK_LIFETIME.total_seconds() // 3600)
    return render(request, "marketplace/signup_sent.html", {"hours": hours})


def signup_confirm(request: HttpRequest, token: str) -> HttpResponseBase:
    """The e-mail's link: a page with one button (mail scanners that open links do not
    create accounts), whose POST creates the account and signs the buyer in."""
    try:
        if request.method != "POST":
            email = services.check_signup_link(token)
            return render(request, "marketplace/signup_confirm.html", {"email": email})
        buyer, next_url = services.finish_signup(token)
    except services.SignupLinkInvalid as exc:
        return render(
            request,
            "marketplace/signup_confirm.html",
            {"problem": exc.message},
            status=exc.http_status,
        )
    backend = "django.contrib.auth.backends.ModelBackend"
    auth_login(request, buyer, backend=backend)  # type: ignore[arg-type]  # wallet's User in mypy's settings
    with translation.override(buyer.locale):  # the next page is in the chosen language
        messages.success(request, _("Welcome! Your shop account is ready."))
    response = HttpResponseRedirect(safe_next(request, next_url) or reverse("home"))
    return _with_language_cookie(response, buyer.locale)


def _wallet_is_asking(next_url: str) -> bool:
    return next_url.startswith(reverse("oauth2_provider:authorize"))


class LoginView(auth_views.LoginView):
    """The shop's login, also the login page of the identity provider (LOGIN_URL)."""

    form_class = LoginForm
    template_name = "marketplace/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["wallet_is_asking"] = _wallet_is_asking(context.get("next") or "")
        context["checkout_asking"] = context.get("next") == CHECKOUT_RETURN
        if getattr(context.get("form"), "challenge_required", False):
            context["challenge"] = services.new_challenge()
        return context

    def form_valid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        _with_language_cookie(response, services.buyer_of(form.get_user()).locale)
        return response


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """Count failures per e-mail as stored (lower case), however the buyer typed it."""
    value = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(value).strip().lower()


def locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes' answer once the limit is hit: the login page, with the reason."""
    # An unbound form: validating it would try to authenticate again (and count again).
    form = LoginForm(request, initial={"username": axes_username(request, credentials)})
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    return render(
        request,
        "marketplace/login.html",
        {
            "form": form,
            "locked_out": True,
            "network_locked": network_locked(request),
            "next": next_url,
            "wallet_is_asking": _wallet_is_asking(next_url),
            "checkout_asking": next_url == CHECKOUT_RETURN,
        },
        status=429,
    )


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You are logged out of the shop."))  # said, not guessed
        return response


# Wrong current passwords one session may type on the change-password form before it is
# signed out: a stolen session must not become a way to guess the password.
PASSWORD_CHANGE_TRIES = 5
_CHANGE_FAILURES_KEY = "zhifu_password_change_failures"


class PasswordChangeView(auth_views.PasswordChangeView):
    """Settings → "Change my password": current and new password, for a signed-in buyer
    (Django's view: the buyer's other sessions end, this one stays)."""

    form_class = ChangePasswordForm
    template_name = "marketplace/password_change.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form: ChangePasswordForm) -> HttpResponse:
        self.request.session.pop(_CHANGE_FAILURES_KEY, None)
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed."))
        return response

    def form_invalid(self, form: ChangePasswordForm) -> HttpResponse:
        if form.has_error("old_password", "password_incorrect"):
            failures = self.request.session.get(_CHANGE_FAILURES_KEY, 0) + 1
            self.request.session[_CHANGE_FAILURES_KEY] = failures
            if failures >= PASSWORD_CHANGE_TRIES:
                auth_logout(self.request)
                messages.error(
                    self.request,
                    _("Too many wrong passwords: you were logged out. Log in again."),
                )
                return HttpResponseRedirect(reverse("login"))
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LocalizedPasswordResetForm
    template_name = "marketplace/password_reset_form.html"
    email_template_name = "marketplace/email/password_reset.html"
    subject_template_name = "marketplace/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Links in e-mails use the shop's configured public URL, never the Host header.
        self.extra_email_context = {"shop_url": config().urls["marketplace"]}
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: LocalizedPasswordResetForm) -> HttpResponse:
        # Past the limits (SEC-17) the same page follows, but no e-mail goes out.
        if services.may_send_reset(form.cleaned_data["email"], client_ip(self.request)):
            return super().form_valid(form)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "marketplace/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "marketplace/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        # A buyer who proved control of the mailbox is no longer locked out.
        from axes.utils import reset

        reset(username=form.user.email)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "marketplace/password_reset_complete.html"


@login_required
def account(request: HttpRequest) -> HttpResponseBase:
    buyer = _buyer(request)
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            services.update_profile(
                buyer, name=form.cleaned_data["name"], locale=form.cleaned_data["locale"]
            )
            with translation.override(buyer.locale):
                messages.success(request, _("Your settings were saved."))
            return _with_language_cookie(redirect("account"), buyer.locale)
    else:
        form = ProfileForm(initial={"name": buyer.name, "locale": buyer.locale})
    return render(request, "marketplace/account.html", {"form": form, "buyer": buyer})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in buyer's choice is also kept on the account."""
    response: HttpResponse = django_set_language(request)
    language = request.POST.get("language", "")
    if language in _LANGS and request.user.is_authenticated:
        services.set_locale(_buyer(request), language)
    return response
