"""Security section of the account: change the payment password or the questions.

Each page asks for the current payment password: ``services.step_up`` checks it (counted
by the one lockout counter) and returns a proof the change redeems in its transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from zhifu.credentials import domain, services
from zhifu.credentials.errors import CredentialsRefusal, field_error
from zhifu.credentials.forms import ChangePinForm, ChangeQuestionsForm

SECRETS = ("current_pin", "pin", "pin_repeat")


def _page(
    request: HttpRequest,
    template: str,
    form: ChangePinForm | ChangeQuestionsForm,
    action: domain.Action,
    change: Callable[[domain.StepUp], str],
) -> HttpResponse:
    """The shared sequence: fields and rules, then the step-up, then the change (which
    redeems the proof in its own transaction)."""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                proof = services.step_up(
                    request.user, form.cleaned_data["current_pin"], domain.bound(action)
                )
                done = change(proof)
            except CredentialsRefusal as exc:
                if words := field_error(exc):
                    form.add_error("current_pin", words)
            else:
                messages.success(request, done)
                return redirect("accounts:account")
    return render(
        request,
        template,
        {"form": form},
        status=status,
    )


@sensitive_post_parameters(*SECRETS)
@login_required
@require_http_methods(["GET", "POST"])
def change_pin(request: HttpRequest) -> HttpResponse:
    form = ChangePinForm(request.POST if request.method == "POST" else None)

    def change(proof: domain.StepUp) -> str:
        services.change_payment_password(request.user, form.cleaned_data["pin"], step_up=proof)
        return _("Your payment password has been changed.")

    return _page(request, "credentials/change_pin.html", form, domain.Action.PIN_CHANGE, change)


@sensitive_post_parameters("current_pin")
@login_required
@require_http_methods(["GET", "POST"])
def change_questions(request: HttpRequest) -> HttpResponse:
    email = getattr(request.user, "email", "") or ""
    form = ChangeQuestionsForm(request.POST if request.method == "POST" else None, email=email)

    def change(proof: domain.StepUp) -> str:
        services.change_security_questions(
            request.user, domain.question_choices(form.answers()), step_up=proof
        )
        return _("Your security questions have been changed.")

    template = "credentials/change_questions.html"
    return _page(request, template, form, domain.Action.QUESTIONS_CHANGE, change)
