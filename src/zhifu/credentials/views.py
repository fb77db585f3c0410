"""Security section of the account: change the payment password or the questions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhifu.accounts.views import wallet_login_required
from zhifu.credentials import services
from zhifu.credentials.forms import ChangePinForm, ChangeQuestionsForm


@wallet_login_required
@require_http_methods(["GET", "POST"])
def change_pin(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ChangePinForm(request.POST, user=request.user)
        if form.is_valid():
            services.change_payment_password(request.user, form.cleaned_data["pin"])
            messages.success(request, _("Your payment password has been changed."))
            return redirect("accounts:account")
        status = 400
    else:
        form = ChangePinForm(user=request.user)
    return render(
        request,
        "credentials/change_pin.html",
        {"form": form, "locked_until": services.lock_state(request.user)},
        status=status,
    )


@wallet_login_required
@require_http_methods(["GET", "POST"])
def change_questions(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ChangeQuestionsForm(request.POST, user=request.user)
        if form.is_valid():
            services.change_security_questions(request.user, form.choices())
            messages.success(request, _("Your security questions have been changed."))
            return redirect("accounts:account")
        status = 400
    else:
        form = ChangeQuestionsForm(user=request.user)
    return render(
        request,
        "credentials/change_questions.html",
        {"form": form, "locked_until": services.lock_state(request.user)},
        status=status,
    )
